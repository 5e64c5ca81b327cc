"""The stats store contract: apply event updates exactly once, read buckets back.

Each backend writes an update's dedupe marker (tenant, event id) in the same transaction as its
counters, so a redelivered event (SQS delivers at least once; Step Functions retries the step
that publishes) changes nothing the second time. Hooks raise only Mastra errors
(``StorageError`` when the backend cannot be reached).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from mastra.stats.models import Bucket, Dimension, Update

#: How long a dedupe marker is kept: longer than any redelivery (SQS 4 days, its DLQ 14 days).
MARKER_TTL_S = 35 * 86400


class StatsStore(ABC):
    backend: ClassVar[str]

    def apply(self, updates: Sequence[Update]) -> list[Update]:
        """Apply each update once; return those applied now (the others had been applied before)."""
        unique = list({(u.tenant_id, u.event_id): u for u in updates}.values())
        return self._apply(unique) if unique else []

    @abstractmethod
    def _apply(self, updates: list[Update]) -> list[Update]:
        """Apply updates with distinct (tenant, event id), each with its marker, atomically per update."""

    @abstractmethod
    def buckets(self, tenant_id: str, dim: Dimension, since_hour: int, until_hour: int) -> list[Bucket]:
        """The tenant's buckets of one dimension whose hour is in ``[since_hour, until_hour]``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (the SQLite file is owned by the turn store)."""
