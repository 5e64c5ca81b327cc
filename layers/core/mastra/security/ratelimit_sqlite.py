"""Rate-limit buckets in the embedded SQLite file (the turn store's ``SQLiteDatabase``).

A take is one ``BEGIN IMMEDIATE`` transaction (read, refill, spend, write): SQLite's write lock
serialises it across threads and processes sharing the file, so no retry loop is needed. Rows of
buckets that would be full again are purged now and then (they equal a new bucket).
"""

from __future__ import annotations

import random

from mastra.security.ratelimit import Bucket, Decision, Limits, take
from mastra.security.ratelimit_store import RateLimitStore
from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_buckets (
    tenant_id TEXT NOT NULL, actor TEXT NOT NULL, tokens REAL NOT NULL, updated_at REAL NOT NULL,
    version INTEGER NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, actor)
) WITHOUT ROWID;
"""
_UPSERT = """
INSERT INTO rate_buckets (tenant_id, actor, tokens, updated_at, version, expires_at) VALUES (?, ?, ?, ?, 1, ?)
ON CONFLICT (tenant_id, actor) DO UPDATE SET
    tokens = excluded.tokens, updated_at = excluded.updated_at, version = version + 1, expires_at = excluded.expires_at
"""
PURGE_EVERY = 1000  # on average, one take in this many deletes expired buckets


class SQLiteRateLimitStore(RateLimitStore):
    backend = "sqlite"

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db
        db.ensure_schema(_SCHEMA)

    def take(self, tenant_id: str, actor: str, limits: Limits, now: float) -> Decision:
        with self.db.transaction("take a rate-limit token") as conn:
            row = conn.execute(
                "SELECT tokens, updated_at FROM rate_buckets WHERE tenant_id = ? AND actor = ?", (tenant_id, actor)
            ).fetchone()
            decision = take(None if row is None else Bucket(row[0], row[1]), limits, now)
            if decision.admitted:
                b = decision.bucket
                conn.execute(_UPSERT, (tenant_id, actor, b.tokens, b.updated_at, now + limits.refill_s))
            if random.random() < 1 / PURGE_EVERY:
                conn.execute("DELETE FROM rate_buckets WHERE expires_at < ?", (now,))
        return decision

    def _read(self, tenant_id: str, actor: str) -> tuple[Bucket | None, int]:
        with self.db.errors("read a rate-limit bucket"):
            row = (
                self.db.conn()
                .execute(
                    "SELECT tokens, updated_at, version FROM rate_buckets WHERE tenant_id = ? AND actor = ?",
                    (tenant_id, actor),
                )
                .fetchone()
            )
        return (None, 0) if row is None else (Bucket(row[0], row[1]), int(row[2]))

    def _write(self, tenant_id: str, actor: str, bucket: Bucket, version: int, *, expires_at: float) -> bool:
        with self.db.transaction("write a rate-limit bucket") as conn:
            if version == 0:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO rate_buckets VALUES (?, ?, ?, ?, 1, ?)",
                    (tenant_id, actor, bucket.tokens, bucket.updated_at, expires_at),
                )
            else:
                cur = conn.execute(
                    "UPDATE rate_buckets SET tokens = ?, updated_at = ?, version = version + 1, expires_at = ?"
                    " WHERE tenant_id = ? AND actor = ? AND version = ?",
                    (bucket.tokens, bucket.updated_at, expires_at, tenant_id, actor, version),
                )
        return cur.rowcount == 1
