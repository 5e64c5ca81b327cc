"""Stats in the embedded SQLite file (the turn store's ``SQLiteDatabase``), in tables of their own.

One transaction per batch: for each update, ``INSERT OR IGNORE`` its marker; only if that inserted
a row are its counters upserted (``value = value + excluded.value``). Markers older than any
redelivery (``MARKER_TTL_S``) are forgotten at most once an hour, by the process that applies a
batch (DynamoDB's TTL does this for its markers).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mastra.stats.models import Bucket, Dimension, Update
from mastra.stats.store import MARKER_TTL_S, StatsStore
from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stats_seen (
    tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stats_seen_at ON stats_seen (at);
CREATE TABLE IF NOT EXISTS stats_counters (
    tenant_id TEXT NOT NULL, dim TEXT NOT NULL, hour INTEGER NOT NULL, key TEXT NOT NULL,
    field TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (tenant_id, dim, hour, key, field)
) WITHOUT ROWID;
"""


class SQLiteStatsStore(StatsStore):
    backend = "sqlite"

    #: How often a process forgets old markers.
    PURGE_EVERY_S = 3600.0

    def __init__(self, db: SQLiteDatabase, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._purged_at = 0.0
        db.ensure_schema(_SCHEMA)

    def _apply(self, updates: list[Update]) -> list[Update]:
        applied = []
        with self.db.transaction("update stats") as conn:
            for u in updates:
                if not conn.execute(
                    "INSERT OR IGNORE INTO stats_seen VALUES (?, ?, ?)", (u.tenant_id, u.event_id, u.at)
                ).rowcount:
                    continue
                conn.executemany(
                    "INSERT INTO stats_counters VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (tenant_id, dim, hour, key, field) DO UPDATE SET value = value + excluded.value",
                    [
                        (u.tenant_id, b.dim, b.hour, b.key, name, value)
                        for b, add in u.counters.items()
                        for name, value in add.items()
                    ],
                )
                applied.append(u)
        now = self.clock()
        if now - self._purged_at >= self.PURGE_EVERY_S:
            self._purged_at = now
            self.purge_markers(now)
        return applied

    def purge_markers(self, now: float | None = None) -> int:
        """Forget dedupe markers older than any redelivery (``MARKER_TTL_S``)."""
        cutoff = (self.clock() if now is None else now) - MARKER_TTL_S
        with self.db.transaction("purge stats markers") as conn:
            return conn.execute("DELETE FROM stats_seen WHERE at < ?", (cutoff,)).rowcount

    def buckets(self, tenant_id: str, dim: Dimension, since_hour: int, until_hour: int) -> list[Bucket]:
        out: dict[tuple[int, str], Bucket] = {}
        with self.db.errors("read stats"):
            rows = self.db.conn().execute(
                "SELECT hour, key, field, value FROM stats_counters "
                "WHERE tenant_id = ? AND dim = ? AND hour BETWEEN ? AND ? ORDER BY hour, key",
                (tenant_id, dim, since_hour, until_hour),
            )
            for hour, key, name, value in rows:
                bucket = out.setdefault((hour, key), Bucket(tenant_id, dim, key, hour))
                bucket.counters[name] = value
        return list(out.values())
