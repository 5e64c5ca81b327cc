"""Privacy policies in the embedded SQLite file, in a table of their own (tenant configuration: no expiry)."""

from __future__ import annotations

from mastra.privacy.policy import PrivacyPolicy
from mastra.privacy.store import PolicyStore
from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS privacy_policy (
    tenant_id TEXT NOT NULL PRIMARY KEY, body TEXT NOT NULL
) WITHOUT ROWID;
"""


class SQLitePolicyStore(PolicyStore):
    backend = "sqlite"

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db
        db.ensure_schema(_SCHEMA)

    def get_policy(self, tenant_id: str) -> PrivacyPolicy | None:
        with self.db.errors("read a privacy policy"):
            row = self.db.conn().execute("SELECT body FROM privacy_policy WHERE tenant_id = ?", (tenant_id,)).fetchone()
        return None if row is None else PrivacyPolicy.model_validate_json(row[0])

    def put_policy(self, policy: PrivacyPolicy) -> None:
        with self.db.transaction("store a privacy policy") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO privacy_policy VALUES (?, ?)", (policy.tenant_id, policy.model_dump_json())
            )

    def delete_policy(self, tenant_id: str) -> None:
        with self.db.transaction("delete a privacy policy") as conn:
            conn.execute("DELETE FROM privacy_policy WHERE tenant_id = ?", (tenant_id,))
