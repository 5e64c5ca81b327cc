"""Status records and the embedded queue, in the turn store's SQLite file.

``async_requests`` and ``async_queue`` have ``tenant_id, request_id, user_id, expires_at`` columns:
the turn store deletes their rows with their request, their user and on expiry (``storage/sqlite.py``,
REQUEST_TABLES), so a queued message (it holds the user's text) goes with an erasure too.

``async_queue`` is the embedded stand-in for SQS: a claimed message is leased, not removed, so a
worker that dies mid-run (a crash, a killed ``mastra serve``) loses nothing: the lease runs out
and another worker runs the request again. A message that failed ``max_receives`` times is kept
as dead (the dead-letter queue) rather than deleted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mastra.async_requests.models import RequestStatus
from mastra.async_requests.store import RequestStatusStore
from mastra.errors import ConflictError
from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS async_requests (
    tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, user_id TEXT NOT NULL, revision INTEGER NOT NULL,
    expires_at REAL, body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, request_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS async_queue (
    request_id TEXT NOT NULL PRIMARY KEY, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at REAL,
    body TEXT NOT NULL,
    enqueued_at REAL NOT NULL, available_at REAL NOT NULL, lease_until REAL, receives INTEGER NOT NULL DEFAULT 0,
    dead INTEGER NOT NULL DEFAULT 0, last_error TEXT
);
CREATE INDEX IF NOT EXISTS async_queue_ready ON async_queue (dead, available_at);
"""


class SQLiteRequestStatusStore(RequestStatusStore):
    backend = "sqlite"

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db
        db.ensure_schema(_SCHEMA)

    def create(self, status: RequestStatus) -> RequestStatus:
        new = status.model_copy(update={"revision": 1})
        with self.db.transaction("store an async request") as conn:
            inserted = conn.execute(
                "INSERT OR IGNORE INTO async_requests VALUES (?, ?, ?, ?, ?, ?)",
                (new.tenant_id, new.request_id, new.user_id, 1, new.expires_at, new.model_dump_json()),
            ).rowcount
        if not inserted:
            raise ConflictError(f"request {status.request_id!r} exists", details={"request_id": status.request_id})
        return new

    def get(self, tenant_id: str, request_id: str) -> RequestStatus | None:
        with self.db.errors("read an async request"):
            row = (
                self.db.conn()
                .execute(
                    "SELECT body FROM async_requests WHERE tenant_id = ? AND request_id = ? "
                    "AND (expires_at IS NULL OR expires_at > ?)",
                    (tenant_id, request_id, time.time()),
                )
                .fetchone()
            )
        return None if row is None else RequestStatus.model_validate_json(row[0])

    def _replace(self, status: RequestStatus, expected_revision: int) -> bool:
        with self.db.transaction("update an async request") as conn:
            return bool(
                conn.execute(
                    "UPDATE async_requests SET revision = ?, expires_at = ?, body = ? "
                    "WHERE tenant_id = ? AND request_id = ? AND revision = ?",
                    (
                        status.revision,
                        status.expires_at,
                        status.model_dump_json(),
                        status.tenant_id,
                        status.request_id,
                        expected_revision,
                    ),
                ).rowcount
            )


@dataclass(frozen=True)
class Claimed:
    """A leased message: run it, then :meth:`SQLiteRequestQueue.ack` (or ``retry``/``bury``)."""

    request_id: str
    body: str
    receives: int  # this one included (SQS's ApproximateReceiveCount)


class SQLiteRequestQueue:
    """The embedded queue: send, claim with a lease, ack; retries with backoff; dead messages kept."""

    def __init__(self, db: SQLiteDatabase, *, lease_s: float = 300.0) -> None:
        self.db = db
        self.lease_s = lease_s
        db.ensure_schema(_SCHEMA)

    def send(self, tenant_id: str, request_id: str, body: str, *, user_id: str, expires_at: float | None) -> None:
        now = time.time()
        with self.db.transaction("queue a request") as conn:
            conn.execute(
                "INSERT OR IGNORE INTO async_queue "
                "(request_id, tenant_id, user_id, expires_at, body, enqueued_at, available_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (request_id, tenant_id, user_id, expires_at, body, now, now),
            )

    def claim(self, *, now: float | None = None) -> Claimed | None:
        """The oldest ready message (never claimed, retry due, or its lease ran out), leased to the caller."""
        at = time.time() if now is None else now
        with self.db.transaction("claim a queued request") as conn:
            row = conn.execute(
                "SELECT request_id, body, receives FROM async_queue WHERE dead = 0 AND available_at <= ? "
                "AND (lease_until IS NULL OR lease_until <= ?) AND (expires_at IS NULL OR expires_at > ?) "
                "ORDER BY available_at, enqueued_at LIMIT 1",
                (at, at, at),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE async_queue SET lease_until = ?, receives = receives + 1 WHERE request_id = ?",
                (at + self.lease_s, row[0]),
            )
        return Claimed(request_id=row[0], body=row[1], receives=int(row[2]) + 1)

    def ack(self, request_id: str) -> None:
        with self.db.transaction("delete a queued request") as conn:
            conn.execute("DELETE FROM async_queue WHERE request_id = ?", (request_id,))

    def retry(self, request_id: str, delay_s: float, error: str) -> None:
        """Release the lease; the message is ready again after ``delay_s``."""
        with self.db.transaction("release a queued request") as conn:
            conn.execute(
                "UPDATE async_queue SET lease_until = NULL, available_at = ?, last_error = ? WHERE request_id = ?",
                (time.time() + delay_s, error[:1000], request_id),
            )

    def bury(self, request_id: str, error: str) -> None:
        """Park a message that failed its last receive (the dead-letter queue): kept, never run again."""
        with self.db.transaction("park a queued request") as conn:
            conn.execute(
                "UPDATE async_queue SET dead = 1, lease_until = NULL, last_error = ? WHERE request_id = ?",
                (error[:1000], request_id),
            )

    def depth(self) -> tuple[int, int]:
        """(messages waiting or running, dead messages)."""
        with self.db.errors("count queued requests"):
            rows = dict(self.db.conn().execute("SELECT dead, COUNT(*) FROM async_queue GROUP BY dead").fetchall())
        return int(rows.get(0, 0)), int(rows.get(1, 0))

    def next_ready_in(self) -> float | None:
        """Seconds until the next message is ready (None: the queue is empty)."""
        with self.db.errors("peek at the queue"):
            row = (
                self.db.conn()
                .execute("SELECT MIN(MAX(available_at, COALESCE(lease_until, 0))) FROM async_queue WHERE dead = 0")
                .fetchone()
            )
        return None if row is None or row[0] is None else max(0.0, float(row[0]) - time.time())
