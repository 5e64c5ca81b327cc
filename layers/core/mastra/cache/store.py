"""The answer cache and thread usage counters: one interface, one backend per store.

Cached answers are keyed by :func:`mastra.optimisation.cache_key` (tenant, agent, prompt version,
normalised request) and expire (``expires_at``; DynamoDB's TTL attribute, checked on read too,
since TTL deletion lags by hours). Thread usage is a pair of counters per thread (tokens, ms),
added to atomically after each request and read before the next one is admitted. The counters are
the thread's data: ``Store.delete_thread`` and ``Store.erase_user`` delete them, and they expire
with the tenant's retention.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any

from pydantic import BaseModel, Field


class CachedAnswer(BaseModel):
    """An accepted answer, stored for the same request to the same agent and prompt version."""

    key: str
    agent_id: str
    prompt_ref: str
    execution: dict[str, Any] = Field(description="The attempt's Execution, as it was returned.")
    score: float = Field(ge=0, le=1, description="Its reflection score.")
    created_at: float
    expires_at: float


class ThreadUsage(BaseModel):
    """What a thread has used so far."""

    tokens: int = 0
    elapsed_ms: float = 0.0
    requests: int = 0


class CacheStore(ABC):
    backend: str

    @abstractmethod
    def _get(self, tenant_id: str, key: str) -> CachedAnswer | None: ...

    @abstractmethod
    def put_answer(self, tenant_id: str, answer: CachedAnswer) -> None:
        """Store (or replace) a cached answer."""

    @abstractmethod
    def thread_usage(self, tenant_id: str, thread_id: str) -> ThreadUsage:
        """The thread's counters (zero for a thread never counted)."""

    @abstractmethod
    def add_usage(
        self, tenant_id: str, thread_id: str, *, tokens: int, elapsed_ms: float, expires_at: float | None = None
    ) -> ThreadUsage:
        """Add to the thread's counters atomically; the counters after the addition.

        ``expires_at`` (the tenant's retention, as for the thread's records) replaces the counters'
        expiry: they are deleted with their thread, their user's erasure, and on expiry.
        """

    def get_answer(self, tenant_id: str, key: str, *, now: float | None = None) -> CachedAnswer | None:
        """The cached answer for ``key``, unless it has expired."""
        found = self._get(tenant_id, key)
        if found is None or found.expires_at <= (time.time() if now is None else now):
            return None
        return found


def open_cache(store: Any) -> CacheStore:
    """The cache on the turn store's own database or table."""
    if store.backend == "dynamodb":
        from mastra.cache.dynamodb import DynamoDBCacheStore

        return DynamoDBCacheStore.sharing(store)
    from mastra.cache.sqlite import SQLiteCacheStore

    return SQLiteCacheStore(store.db)
