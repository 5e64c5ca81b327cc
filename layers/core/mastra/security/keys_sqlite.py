"""API keys in the embedded SQLite file (the turn store's ``SQLiteDatabase``)."""

from __future__ import annotations

import sqlite3

from mastra.errors import ConflictError
from mastra.security.keys import ApiKey
from mastra.security.keys_store import KeyStore
from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, created_at REAL NOT NULL, revoked_at REAL,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant_id, created_at);
"""


class SQLiteKeyStore(KeyStore):
    backend = "sqlite"

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db
        db.ensure_schema(_SCHEMA)

    def put(self, key: ApiKey) -> None:
        try:
            with self.db.transaction("store an API key") as conn:
                conn.execute(
                    "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?)",
                    (key.key_id, key.tenant_id, key.created_at, key.revoked_at, key.model_dump_json()),
                )
        except Exception as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise ConflictError(f"key {key.key_id} exists", details={"key_id": key.key_id}) from None
            raise

    def get(self, key_id: str) -> ApiKey | None:
        with self.db.errors("read an API key"):
            row = self.db.conn().execute("SELECT body FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return None if row is None else ApiKey.model_validate_json(row[0])

    def list(self, tenant_id: str) -> list[ApiKey]:
        with self.db.errors("list API keys"):
            rows = self.db.conn().execute(
                "SELECT body FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_id", (tenant_id,)
            )
            return [ApiKey.model_validate_json(r[0]) for r in rows]

    def revoke(self, tenant_id: str, key_id: str, at: float) -> ApiKey | None:
        with self.db.transaction("revoke an API key") as conn:
            row = conn.execute(
                "SELECT body FROM api_keys WHERE key_id = ? AND tenant_id = ?", (key_id, tenant_id)
            ).fetchone()
            if row is None:
                return None
            key = ApiKey.model_validate_json(row[0])
            if key.revoked_at is None:
                key = key.model_copy(update={"revoked_at": at})
                conn.execute(
                    "UPDATE api_keys SET revoked_at = ?, body = ? WHERE key_id = ?",
                    (at, key.model_dump_json(), key_id),
                )
            return key
