"""The rate-limit bucket store contract: one bucket per (tenant, actor), updated atomically.

    bucket   (tenant, actor) -> tokens, updated_at    (expires once it would be full again)

``take`` reads the bucket, applies ``ratelimit.take`` and writes the result only if nobody wrote
the bucket meanwhile, so N concurrent instances never admit more than ``burst + rate * elapsed``.
Backends either hold a lock for the read-modify-write (SQLite: a transaction) or write with a
condition on the version they read and retry on conflict (DynamoDB: optimistic concurrency).
A take that keeps losing races (``MAX_ATTEMPTS``) is refused: heavy contention on one bucket is
the very load the limit exists for, so it must not admit unchecked.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from typing import ClassVar

from mastra.security.ratelimit import Bucket, Decision, Limits, take

MAX_ATTEMPTS = 8


class RateLimitStore(ABC):
    backend: ClassVar[str]

    def take(self, tenant_id: str, actor: str, limits: Limits, now: float) -> Decision:
        """Spend one token of the (tenant, actor) bucket at ``now`` if it holds one, atomically."""
        for attempt in range(MAX_ATTEMPTS):
            bucket, version = self._read(tenant_id, actor)
            decision = take(bucket, limits, now)
            if not decision.admitted:  # nothing spent: the refill is recomputed from the stored state
                return decision
            if self._write(tenant_id, actor, decision.bucket, version, expires_at=now + limits.refill_s):
                return decision
            time.sleep(random.uniform(0, 0.002 * 2**attempt))  # lost a race: re-read, with jitter
        return Decision(False, bucket or Bucket(0.0, now), retry_after_s=1.0 / limits.rate_per_s)

    @abstractmethod
    def _read(self, tenant_id: str, actor: str) -> tuple[Bucket | None, int]:
        """The bucket and its version (``(None, 0)`` if there is none). An expired bucket may still
        be returned (TTL deletes lazily): the refill math makes it full, as a new one would be."""

    @abstractmethod
    def _write(self, tenant_id: str, actor: str, bucket: Bucket, version: int, *, expires_at: float) -> bool:
        """Store ``bucket`` as version ``version + 1`` only if the stored one is still ``version``
        (0: none). False: lost a race."""

    def get(self, tenant_id: str, actor: str) -> Bucket | None:
        """The stored bucket (for tests and tooling)."""
        return self._read(tenant_id, actor)[0]

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
