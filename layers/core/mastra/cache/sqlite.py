"""The answer cache and thread counters in the embedded SQLite file, in tables of their own.

``thread_usage`` is one of the turn store's ``THREAD_TABLES`` (``storage/sqlite.py``): its rows go
with their thread (deletion, a user's erasure) and on expiry.
"""

from __future__ import annotations

from mastra.cache.store import CachedAnswer, CacheStore, ThreadUsage
from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_cache (
    tenant_id TEXT NOT NULL, key TEXT NOT NULL, expires_at REAL NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS thread_usage (
    tenant_id TEXT NOT NULL, thread_id TEXT NOT NULL, tokens INTEGER NOT NULL, elapsed_ms REAL NOT NULL,
    requests INTEGER NOT NULL, expires_at REAL, PRIMARY KEY (tenant_id, thread_id)
) WITHOUT ROWID;
"""


class SQLiteCacheStore(CacheStore):
    backend = "sqlite"

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db
        db.ensure_schema(_SCHEMA)
        with db.errors("open"):  # a file from before the counters expired
            columns = {r[1] for r in db.conn().execute("PRAGMA table_info(thread_usage)")}
            if "expires_at" not in columns:
                db.conn().execute("ALTER TABLE thread_usage ADD COLUMN expires_at REAL")

    def _get(self, tenant_id: str, key: str) -> CachedAnswer | None:
        with self.db.errors("read a cached answer"):
            row = (
                self.db.conn()
                .execute("SELECT body FROM answer_cache WHERE tenant_id = ? AND key = ?", (tenant_id, key))
                .fetchone()
            )
        return None if row is None else CachedAnswer.model_validate_json(row[0])

    def put_answer(self, tenant_id: str, answer: CachedAnswer) -> None:
        with self.db.transaction("cache an answer") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO answer_cache VALUES (?, ?, ?, ?)",
                (tenant_id, answer.key, answer.expires_at, answer.model_dump_json()),
            )
            # Expired entries go on write: SQLite has no TTL.
            conn.execute(
                "DELETE FROM answer_cache WHERE tenant_id = ? AND expires_at <= ?", (tenant_id, answer.created_at)
            )

    def thread_usage(self, tenant_id: str, thread_id: str) -> ThreadUsage:
        with self.db.errors("read a thread's usage"):
            row = (
                self.db.conn()
                .execute(
                    "SELECT tokens, elapsed_ms, requests FROM thread_usage WHERE tenant_id = ? AND thread_id = ?",
                    (tenant_id, thread_id),
                )
                .fetchone()
            )
        return ThreadUsage() if row is None else ThreadUsage(tokens=row[0], elapsed_ms=row[1], requests=row[2])

    def add_usage(
        self, tenant_id: str, thread_id: str, *, tokens: int, elapsed_ms: float, expires_at: float | None = None
    ) -> ThreadUsage:
        with self.db.transaction("count a thread's usage") as conn:
            conn.execute(
                "INSERT INTO thread_usage (tenant_id, thread_id, tokens, elapsed_ms, requests, expires_at) "
                "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (tenant_id, thread_id) DO UPDATE SET "
                "tokens = tokens + excluded.tokens, elapsed_ms = elapsed_ms + excluded.elapsed_ms, "
                "requests = requests + 1, expires_at = excluded.expires_at",
                (tenant_id, thread_id, tokens, elapsed_ms, expires_at),
            )
            row = conn.execute(
                "SELECT tokens, elapsed_ms, requests FROM thread_usage WHERE tenant_id = ? AND thread_id = ?",
                (tenant_id, thread_id),
            ).fetchone()
        return ThreadUsage(tokens=row[0], elapsed_ms=row[1], requests=row[2])
