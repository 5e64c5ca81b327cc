"""Feedback in the embedded SQLite file (the turn store's ``SQLiteDatabase``), in tables of their own.

``feedback`` and ``feedback_outcomes`` carry ``tenant_id, request_id, user_id``: the turn store
deletes their rows with their request (``storage/sqlite.py``, ``REQUEST_TABLES``).
"""

from __future__ import annotations

from collections.abc import Iterator

from mastra.feedback.models import FeedbackRecord, Outcome
from mastra.feedback.store import ArmBucket, FeedbackStore
from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at REAL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, request_id, user_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feedback_outcomes (
    tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, user_id TEXT NOT NULL, revision INTEGER NOT NULL,
    created_at REAL NOT NULL, expires_at REAL, body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, request_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS feedback_outcomes_by_time ON feedback_outcomes (tenant_id, created_at);
CREATE TABLE IF NOT EXISTS feedback_arms (
    tenant_id TEXT NOT NULL, topic TEXT NOT NULL, hour INTEGER NOT NULL, agent_id TEXT NOT NULL,
    n REAL NOT NULL, reward_sum REAL NOT NULL,
    PRIMARY KEY (tenant_id, topic, hour, agent_id)
) WITHOUT ROWID;
"""


class SQLiteFeedbackStore(FeedbackStore):
    backend = "sqlite"

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db
        db.ensure_schema(_SCHEMA)

    def put_feedback(self, record: FeedbackRecord) -> FeedbackRecord | None:
        key = (record.tenant_id, record.request_id, record.user_id)
        with self.db.transaction("store feedback") as conn:
            row = conn.execute(
                "SELECT body FROM feedback WHERE tenant_id = ? AND request_id = ? AND user_id = ?", key
            ).fetchone()
            previous = None if row is None else FeedbackRecord.model_validate_json(row[0])
            if previous is not None:
                record = record.model_copy(update={"created_at": previous.created_at})
            conn.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?)",
                (*key, record.expires_at, record.model_dump_json()),
            )
        return previous

    def feedback_for(self, tenant_id: str, request_id: str) -> list[FeedbackRecord]:
        with self.db.errors("read feedback"):
            rows = self.db.conn().execute(
                "SELECT body FROM feedback WHERE tenant_id = ? AND request_id = ? ORDER BY user_id",
                (tenant_id, request_id),
            )
            return [FeedbackRecord.model_validate_json(r[0]) for r in rows]

    def get_outcome(self, tenant_id: str, request_id: str) -> Outcome | None:
        with self.db.errors("read an outcome"):
            row = (
                self.db.conn()
                .execute(
                    "SELECT body FROM feedback_outcomes WHERE tenant_id = ? AND request_id = ?",
                    (tenant_id, request_id),
                )
                .fetchone()
            )
        return None if row is None else Outcome.model_validate_json(row[0])

    def put_outcome(self, outcome: Outcome, previous: Outcome | None) -> bool:
        dn, dr = self.delta(outcome, previous)
        body = outcome.model_dump_json()
        with self.db.transaction("store an outcome") as conn:
            exists = conn.execute(
                "SELECT 1 FROM requests WHERE tenant_id = ? AND request_id = ?", (outcome.tenant_id, outcome.request_id)
            ).fetchone()
            if exists is None:
                return False
            if previous is None:
                changed = conn.execute(
                    "INSERT OR IGNORE INTO feedback_outcomes VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        outcome.tenant_id,
                        outcome.request_id,
                        outcome.user_id,
                        outcome.revision,
                        outcome.created_at,
                        outcome.expires_at,
                        body,
                    ),
                ).rowcount
            else:
                changed = conn.execute(
                    "UPDATE feedback_outcomes SET revision = ?, expires_at = ?, body = ? "
                    "WHERE tenant_id = ? AND request_id = ? AND revision = ?",
                    (
                        outcome.revision,
                        outcome.expires_at,
                        body,
                        outcome.tenant_id,
                        outcome.request_id,
                        previous.revision,
                    ),
                ).rowcount
            if not changed:
                return False
            conn.execute(
                "INSERT INTO feedback_arms VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, topic, hour, agent_id) "
                "DO UPDATE SET n = n + excluded.n, reward_sum = reward_sum + excluded.reward_sum",
                (outcome.tenant_id, outcome.topic, outcome.hour, outcome.agent_id, dn, dr),
            )
        return True

    def arm_buckets(self, tenant_id: str, topic: str, since_hour: int) -> list[ArmBucket]:
        with self.db.errors("read arm counters"):
            rows = self.db.conn().execute(
                "SELECT hour, agent_id, n, reward_sum FROM feedback_arms "
                "WHERE tenant_id = ? AND topic = ? AND hour >= ? ORDER BY hour, agent_id",
                (tenant_id, topic, since_hour),
            )
            return [ArmBucket(int(h), a, float(n), float(s)) for h, a, n, s in rows]

    def outcomes(self, tenant_id: str, since: float, until: float) -> Iterator[Outcome]:
        last: tuple[float, str] = (since, "")
        while True:  # pages of 500: a long export never holds the whole table
            with self.db.errors("export outcomes"):
                rows = (
                    self.db.conn()
                    .execute(
                        "SELECT created_at, request_id, body FROM feedback_outcomes "
                        "WHERE tenant_id = ? AND (created_at > ? OR (created_at = ? AND request_id > ?)) "
                        "AND created_at < ? ORDER BY created_at, request_id LIMIT 500",
                        (tenant_id, last[0], last[0], last[1], until),
                    )
                    .fetchall()
                )
            for _, _, body in rows:
                yield Outcome.model_validate_json(body)
            if len(rows) < 500:
                return
            last = (rows[-1][0], rows[-1][1])
