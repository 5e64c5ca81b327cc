"""Per-agent, per-prompt-version and per-topic statistics, read from the hourly buckets."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from mastra.events.models import Event
from mastra.stats.aggregate import applied_events, updates_for
from mastra.stats.models import (
    HOUR,
    AgentStats,
    Bucket,
    Dimension,
    histogram,
    hour_of,
    mean,
    merge,
    parse_dimension,
    parse_window,
    percentile,
)
from mastra.stats.store import StatsStore
from mastra.storage.base import Store

_stores: WeakKeyDictionary[Store, StatsStore] = WeakKeyDictionary()
_stores_lock = threading.Lock()


def stats_store_for(store: Store) -> StatsStore:
    """The stats store on the turn store's backend (the same SQLite file, the same table), one per store."""
    with _stores_lock:
        stats = _stores.get(store)
        if stats is None:
            if store.backend == "dynamodb":
                from mastra.stats.dynamodb import DynamoDBStatsStore

                stats = DynamoDBStatsStore.sharing(store)  # type: ignore[arg-type]
            else:
                from mastra.stats.sqlite import SQLiteStatsStore

                stats = SQLiteStatsStore(store.db)  # type: ignore[attr-defined]
            _stores[store] = stats
        return stats


def aggregate(events: Sequence[Event], stats: StatsStore) -> list[Event]:
    """Add the events to their buckets, each once; returns the events applied now."""
    updates = updates_for(events)
    return applied_events(events, stats.apply(updates)) if updates else []


def _group(key: str, counters: dict[str, float], hours: list[Bucket]) -> dict[str, Any]:
    hist = histogram(counters)
    series = []
    for b in sorted(hours, key=lambda b: b.hour):
        series.append(
            {
                "t": b.hour,
                "requests": int(b.counters.get("requests", 0)),
                "reward": mean(b.counters, "reward"),
                "latency_p50": percentile(histogram(b.counters), 0.5),
            }
        )
    return {
        "key": key,
        "requests": int(counters.get("requests", 0)),
        "latency_ms": {f"p{q}": percentile(hist, q / 100) for q in (50, 90, 99)},
        "reflection_score": mean(counters, "reflection"),
        "reward": mean(counters, "reward"),
        "feedback": {name: int(counters.get(name, 0)) for name in ("up", "down", "ratings", "comments")},
        "errors": int(counters.get("errors", 0)),
        "screening": {name: int(counters.get(name, 0)) for name in ("blocked", "redacted")},
        "series": series,
    }


class StatsService:
    """Summaries for ``GET /v1/stats`` and ``mastra stats``; ``agent_stats`` for runtime optimisation.

    >>> service = StatsService(stats_store)                          # doctest: +SKIP
    >>> service.summary("default", window="24h", by="agent")["groups"][0]["key"]   # doctest: +SKIP
    'banking'
    """

    def __init__(
        self,
        store: StatsStore,
        *,
        agent_window_s: float = 24 * HOUR,
        ttl_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.agent_window_s = agent_window_s
        self.ttl_s = ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, AgentStats]]] = {}
        self._lock = threading.Lock()

    def summary(
        self,
        tenant_id: str,
        since: float | None = None,
        until: float | None = None,
        by: str = "agent",
        *,
        window: str | None = None,
    ) -> dict[str, Any]:
        """Groups of one dimension over ``[since, until]`` (or the last ``window``, e.g. ``"24h"``),
        most requests first, each with its hourly ``series``."""
        dim = parse_dimension(by)
        until = self.clock() if until is None else until
        if since is None:
            since = until - parse_window(window or "24h")
        if since > until:
            from mastra.errors import InvalidRequestError

            raise InvalidRequestError(f"since ({since}) is after until ({until})")
        buckets = self.store.buckets(tenant_id, dim, hour_of(since), hour_of(until))
        by_key: dict[str, list[Bucket]] = {}
        for b in buckets:
            by_key.setdefault(b.key, []).append(b)
        groups = [_group(k, merge(b.counters for b in bs), bs) for k, bs in by_key.items()]
        groups.sort(key=lambda g: (-g["requests"], g["key"]))
        return {"by": dim, "since": since, "until": until, "groups": groups}

    def agent_stats(self, tenant_id: str, agent_id: str) -> AgentStats | None:
        """The agent's recent statistics (None: no requests seen); re-read at most every ``ttl_s``."""
        now = self.clock()
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is None or cached[0] <= now:
            since = now - self.agent_window_s
            groups = self.summary(tenant_id, since, now, "agent")["groups"]
            table = {
                g["key"]: AgentStats(
                    n=g["requests"],
                    p50_ms=g["latency_ms"]["p50"],
                    p99_ms=g["latency_ms"]["p99"],
                    reflection_score=g["reflection_score"],
                    reward=g["reward"],
                )
                for g in groups
                if g["requests"] > 0
            }
            cached = (now + self.ttl_s, table)
            with self._lock:
                self._cache[tenant_id] = cached
        return cached[1].get(agent_id)


__all__ = ["Dimension", "StatsService", "aggregate", "stats_store_for"]
