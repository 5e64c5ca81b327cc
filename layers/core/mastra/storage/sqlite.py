"""The embedded store: one SQLite file under the data dir, the reference every backend matches.

Connections, transactions and durability settings are in ``storage/sqlite_db.py``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from mastra.errors import ConflictError
from mastra.storage.base import Store, erased_conflict, erased_user_key
from mastra.storage.models import (
    Erasure,
    EventRecord,
    Message,
    ModelVersion,
    RequestRecord,
    StoredVector,
    TenantConfig,
    Thread,
    ThreadSummary,
    Turn,
    WorkingMemory,
    WorkingMemoryChange,
)
from mastra.storage.sqlite_db import SQLiteDatabase

SCHEMA_VERSION = 5
_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    tenant_id TEXT NOT NULL, thread_id TEXT NOT NULL, user_id TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, message_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, thread_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS threads_by_user ON threads (tenant_id, user_id, updated_at, thread_id);
CREATE TABLE IF NOT EXISTS messages (
    tenant_id TEXT NOT NULL, thread_id TEXT NOT NULL, message_id TEXT NOT NULL,
    role TEXT NOT NULL, content TEXT NOT NULL, user_id TEXT NOT NULL, request_id TEXT NOT NULL,
    agent_id TEXT, created_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, thread_id, message_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS requests (
    tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, user_id TEXT NOT NULL, thread_id TEXT NOT NULL,
    created_at REAL NOT NULL, response TEXT NOT NULL,
    PRIMARY KEY (tenant_id, request_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, event_id TEXT NOT NULL,
    type TEXT NOT NULL, version INTEGER NOT NULL, occurred_at REAL NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, request_id, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS model_versions (
    kind TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (kind, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS champions (
    kind TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at REAL NOT NULL
) WITHOUT ROWID;
"""
# Version 4: memory. Embeddings and expiry on the message rows themselves (one write, one delete),
# a user's messages indexed for recall and erasure, profiles with history, summaries, tenant config.
_MIGRATE_4 = """
ALTER TABLE messages ADD COLUMN expires_at REAL;
ALTER TABLE messages ADD COLUMN embedding BLOB;
ALTER TABLE messages ADD COLUMN content_ref TEXT;
ALTER TABLE threads ADD COLUMN expires_at REAL;
ALTER TABLE requests ADD COLUMN expires_at REAL;
ALTER TABLE events ADD COLUMN expires_at REAL;
CREATE INDEX IF NOT EXISTS messages_by_user ON messages (tenant_id, user_id, message_id);
CREATE TABLE IF NOT EXISTS working_memory (
    tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, version INTEGER NOT NULL, fields TEXT NOT NULL,
    updated_at REAL NOT NULL, expires_at REAL,
    PRIMARY KEY (tenant_id, user_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS working_memory_changes (
    tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (tenant_id, user_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS summaries (
    tenant_id TEXT NOT NULL, thread_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (tenant_id, thread_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tenants (
    tenant_id TEXT PRIMARY KEY, body TEXT NOT NULL
) WITHOUT ROWID;
"""
# Version 5: erasure markers (a hash of the user id, and when), checked by every turn write.
_MIGRATE_5 = """
CREATE TABLE IF NOT EXISTS erasures (
    tenant_id TEXT NOT NULL, user_key TEXT NOT NULL, erased_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, user_key)
) WITHOUT ROWID;
"""
_MESSAGE_COLUMNS = (
    "tenant_id, thread_id, message_id, role, content, user_id, request_id, agent_id, created_at, expires_at, "
    "content_ref, embedding"
)
_THREAD_COLUMNS = "tenant_id, thread_id, user_id, created_at, updated_at, message_count, expires_at"
#: Other packages' tables of per-request rows (``tenant_id, request_id, user_id, expires_at`` columns,
#: e.g. ``mastra.feedback``): deleted with their request, their user and on expiry, when present.
REQUEST_TABLES = ("feedback", "feedback_outcomes", "async_requests", "async_queue")
#: Other packages' tables of per-thread rows (``tenant_id, thread_id, expires_at`` columns, e.g. the
#: thread usage counters of ``mastra.cache``): deleted with their thread (so with their user's
#: erasure) and on expiry, when present.
THREAD_TABLES = ("thread_usage",)


def _present(conn: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    found = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [t for t in tables if t in found]


def _request_tables(conn: sqlite3.Connection) -> list[str]:
    return _present(conn, REQUEST_TABLES)


class SQLiteStore(Store):
    backend = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000, retention_days: float | None = None) -> None:
        self.db = SQLiteDatabase(path, busy_timeout_ms=busy_timeout_ms)
        self.default_retention_days = retention_days
        self.path = self.db.path
        with self.db.errors("open"):
            conn = self.db.conn()
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found < SCHEMA_VERSION:  # one transaction: a crash mid-migration leaves the old schema
                steps = ([_SCHEMA] if found < 3 else []) + ([_MIGRATE_4] if found < 4 else []) + [_MIGRATE_5]
                conn.executescript(
                    "BEGIN IMMEDIATE;" + "".join(steps) + f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )

    def _conn(self) -> sqlite3.Connection:
        return self.db.conn()

    def _errors(self, action: str) -> AbstractContextManager[None]:
        return self.db.errors(action)

    # ---- writes --------------------------------------------------------------------------------
    def _write_turn(self, turn: Turn, expires_at: float | None) -> bool:
        req, user, bot = turn.request, turn.user_message, turn.assistant_message
        with self.db.transaction("record the turn") as conn:
            owner = conn.execute(
                "SELECT user_id FROM threads WHERE tenant_id = ? AND thread_id = ?",
                (req.tenant_id, req.thread_id),
            ).fetchone()
            if owner is not None and owner[0] != req.user_id:
                raise ConflictError(
                    f"thread {req.thread_id!r} belongs to another user",
                    details={"thread_id": req.thread_id},
                )
            erased = conn.execute(
                "SELECT erased_at FROM erasures WHERE tenant_id = ? AND user_key = ?",
                (req.tenant_id, erased_user_key(req.user_id)),
            ).fetchone()
            if erased is not None and req.created_at <= erased[0]:
                raise erased_conflict(req.user_id)
            inserted = conn.execute(
                "INSERT OR IGNORE INTO requests VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    req.tenant_id,
                    req.request_id,
                    req.user_id,
                    req.thread_id,
                    req.created_at,
                    json.dumps(req.response, separators=(",", ":")),
                    expires_at,
                ),
            ).rowcount
            if not inserted:  # recorded before: this transaction wrote nothing
                return False
            conn.execute(
                "INSERT INTO threads VALUES (?, ?, ?, ?, ?, 2, ?) ON CONFLICT (tenant_id, thread_id) DO UPDATE "
                "SET updated_at = excluded.updated_at, message_count = message_count + 2, "
                "expires_at = excluded.expires_at",
                (req.tenant_id, req.thread_id, req.user_id, user.created_at, bot.created_at, expires_at),
            )
            conn.executemany(
                f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [self._message_row(m) for m in (user, bot)],
            )
            return True

    # ---- the model registry --------------------------------------------------------------------
    def _insert_model_version(self, version: ModelVersion, number: int | None) -> ModelVersion:
        with self.db.transaction("register a model version") as conn:
            if number is None:
                row = conn.execute("SELECT MAX(version) FROM model_versions WHERE kind = ?", (version.kind,))
                number = (row.fetchone()[0] or 0) + 1
            stored = version.model_copy(update={"version": number})
            inserted = conn.execute(
                "INSERT OR IGNORE INTO model_versions VALUES (?, ?, ?, ?)",
                (stored.kind, number, stored.status, stored.model_dump_json()),
            ).rowcount
            if not inserted:
                raise ConflictError(f"{version.kind} model version {number} exists", details={"version": number})
            return stored

    def get_model_version(self, kind: str, version: int) -> ModelVersion | None:
        with self._errors("read a model version"):
            row = (
                self._conn()
                .execute("SELECT status, body FROM model_versions WHERE kind = ? AND version = ?", (kind, version))
                .fetchone()
            )
        return None if row is None else self._model_version(row)

    def _model_versions(self, kind: str) -> list[ModelVersion]:
        with self._errors("list model versions"):
            rows = self._conn().execute("SELECT status, body FROM model_versions WHERE kind = ?", (kind,)).fetchall()
        return [self._model_version(r) for r in rows]

    @staticmethod
    def _model_version(row: tuple[Any, ...]) -> ModelVersion:
        return ModelVersion.model_validate_json(row[1]).model_copy(update={"status": row[0]})

    def _champion_number(self, kind: str) -> int | None:
        with self._errors("read the champion"):
            row = self._conn().execute("SELECT version FROM champions WHERE kind = ?", (kind,)).fetchone()
        return None if row is None else int(row[0])

    def _swap_champion(self, kind: str, new: int, old: int | None) -> None:
        with self.db.transaction("promote a model version") as conn:
            row = conn.execute("SELECT version FROM champions WHERE kind = ?", (kind,)).fetchone()
            if (None if row is None else int(row[0])) != old:
                raise ConflictError(f"the {kind} champion changed during the promotion", details={"kind": kind})
            conn.execute(
                "INSERT INTO champions VALUES (?, ?, ?) ON CONFLICT (kind) DO UPDATE "
                "SET version = excluded.version, updated_at = excluded.updated_at",
                (kind, new, time.time()),
            )
            conn.execute("UPDATE model_versions SET status = 'champion' WHERE kind = ? AND version = ?", (kind, new))
            if old is not None:
                conn.execute("UPDATE model_versions SET status = 'retired' WHERE kind = ? AND version = ?", (kind, old))

    def _write_events(self, events: list[EventRecord]) -> None:
        rows = [
            (
                e.tenant_id,
                e.request_id,
                e.event_id,
                e.type,
                e.version,
                e.occurred_at,
                json.dumps(e.body),
                self.expiry(e.tenant_id, e.occurred_at),
            )
            for e in events
        ]
        with self.db.transaction("record events") as conn:
            conn.executemany("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _events_of(self, tenant_id: str, request_id: str) -> list[EventRecord]:
        with self._errors("read events"):
            rows = (
                self._conn()
                .execute(
                    "SELECT event_id, type, version, occurred_at, body FROM events "
                    "WHERE tenant_id = ? AND request_id = ?",
                    (tenant_id, request_id),
                )
                .fetchall()
            )
        return [
            EventRecord(
                tenant_id=tenant_id,
                request_id=request_id,
                event_id=r[0],
                type=r[1],
                version=r[2],
                occurred_at=r[3],
                body=json.loads(r[4]),
            )
            for r in rows
        ]

    @staticmethod
    def _message_row(m: Message) -> tuple[Any, ...]:
        return (
            m.tenant_id,
            m.thread_id,
            m.message_id,
            m.role,
            m.content,
            m.user_id,
            m.request_id,
            m.agent_id,
            m.created_at,
            m.expires_at,
            m.content_ref,
            m.embedding,
        )

    # ---- reads ---------------------------------------------------------------------------------
    def get_thread(self, tenant_id: str, thread_id: str) -> Thread | None:
        with self._errors("read a thread"):
            row = (
                self._conn()
                .execute(
                    f"SELECT {_THREAD_COLUMNS} FROM threads WHERE tenant_id = ? AND thread_id = ?",
                    (tenant_id, thread_id),
                )
                .fetchone()
            )
        return self._thread(row) if row else None

    def _request(self, tenant_id: str, request_id: str) -> RequestRecord | None:
        with self._errors("read a request"):
            row = (
                self._conn()
                .execute(
                    "SELECT tenant_id, request_id, user_id, thread_id, created_at, response FROM requests "
                    "WHERE tenant_id = ? AND request_id = ?",
                    (tenant_id, request_id),
                )
                .fetchone()
            )
        if row is None:
            return None
        return RequestRecord(
            tenant_id=row[0],
            request_id=row[1],
            user_id=row[2],
            thread_id=row[3],
            created_at=row[4],
            response=json.loads(row[5]),
        )

    def _latest_messages(self, tenant_id: str, thread_id: str, limit: int) -> list[Message]:
        with self._errors("read messages"):
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND thread_id = ? "
                    "ORDER BY message_id DESC LIMIT ?",
                    (tenant_id, thread_id, limit),
                )
                .fetchall()
            )
        return [self._message(r) for r in rows]

    def _messages_after(self, tenant_id: str, thread_id: str, cursor: str | None, limit: int) -> list[Message]:
        with self._errors("read messages"):
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND thread_id = ? AND message_id > ? "
                    "ORDER BY message_id LIMIT ?",
                    (tenant_id, thread_id, cursor or "", limit),
                )
                .fetchall()
            )
        return [self._message(r) for r in rows]

    def _threads_of(self, tenant_id: str, user_id: str, cursor: str | None, limit: int) -> list[Thread]:
        updated, thread = self._parse_thread_cursor(cursor) if cursor else (float("inf"), "")
        with self._errors("list threads"):
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_THREAD_COLUMNS} FROM threads WHERE tenant_id = ? AND user_id = ? "
                    "AND (updated_at < ? OR (updated_at = ? AND thread_id < ?)) "
                    "ORDER BY updated_at DESC, thread_id DESC LIMIT ?",
                    (tenant_id, user_id, updated, updated, thread, limit),
                )
                .fetchall()
            )
        return [self._thread(r) for r in rows]

    @staticmethod
    def _message(row: tuple[Any, ...]) -> Message:
        return Message(
            tenant_id=row[0],
            thread_id=row[1],
            message_id=row[2],
            role=row[3],
            content=row[4],
            user_id=row[5],
            request_id=row[6],
            agent_id=row[7],
            created_at=row[8],
            expires_at=row[9],
            content_ref=row[10],
            embedding=row[11],
        )

    @staticmethod
    def _thread(row: tuple[Any, ...]) -> Thread:
        return Thread(
            tenant_id=row[0],
            thread_id=row[1],
            user_id=row[2],
            created_at=row[3],
            updated_at=row[4],
            message_count=row[5],
            expires_at=row[6],
        )

    # ---- memory ----------------------------------------------------------------------------------
    def _vectors(self, tenant_id: str, user_id: str, thread_id: str | None, now: float) -> list[StoredVector]:
        where, args = ("tenant_id = ? AND thread_id = ?", (tenant_id, thread_id))
        if thread_id is None:
            where, args = ("tenant_id = ? AND user_id = ?", (tenant_id, user_id))
        with self._errors("read embeddings"):
            rows = (
                self._conn()
                .execute(
                    f"SELECT thread_id, message_id, embedding FROM messages WHERE {where} AND user_id = ? "
                    "AND embedding IS NOT NULL AND (expires_at IS NULL OR expires_at > ?)",
                    (*args, user_id, now),
                )
                .fetchall()
            )
        return [StoredVector(r[0], r[1], r[2]) for r in rows]

    def _messages_by_id(self, tenant_id: str, thread_id: str, message_ids: list[str]) -> list[Message]:
        marks = ", ".join("?" * len(message_ids))
        with self._errors("read messages"):
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND thread_id = ? "
                    f"AND message_id IN ({marks})",
                    (tenant_id, thread_id, *message_ids),
                )
                .fetchall()
            )
        return [self._message(r) for r in rows]

    def _replace_message(self, m: Message) -> bool:
        with self.db.transaction("edit a message") as conn:
            return bool(
                conn.execute(
                    "UPDATE messages SET content = ?, content_ref = ?, embedding = ? "
                    "WHERE tenant_id = ? AND thread_id = ? AND message_id = ?",
                    (m.content, m.content_ref, m.embedding, m.tenant_id, m.thread_id, m.message_id),
                ).rowcount
            )

    def _messages_before(self, tenant_id: str, thread_id: str, message_id: str, limit: int) -> list[Message]:
        with self._errors("read messages"):
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND thread_id = ? "
                    "AND message_id < ? ORDER BY message_id DESC LIMIT ?",
                    (tenant_id, thread_id, message_id, limit),
                )
                .fetchall()
            )
        return [self._message(r) for r in rows]

    def _working_memory(self, tenant_id: str, user_id: str) -> WorkingMemory | None:
        with self._errors("read working memory"):
            row = (
                self._conn()
                .execute(
                    "SELECT version, fields, updated_at, expires_at FROM working_memory "
                    "WHERE tenant_id = ? AND user_id = ?",
                    (tenant_id, user_id),
                )
                .fetchone()
            )
        if row is None:
            return None
        return WorkingMemory(
            tenant_id=tenant_id,
            user_id=user_id,
            version=row[0],
            fields=json.loads(row[1]),
            updated_at=row[2],
            expires_at=row[3],
        )

    def _write_working_memory(self, new: WorkingMemory, change: WorkingMemoryChange, expected: int) -> bool:
        with self.db.transaction("write working memory") as conn:
            fields = json.dumps(new.fields, separators=(",", ":"))
            if expected == 0:
                written = conn.execute(
                    "INSERT OR IGNORE INTO working_memory VALUES (?, ?, ?, ?, ?, ?)",
                    (new.tenant_id, new.user_id, new.version, fields, new.updated_at, new.expires_at),
                ).rowcount
            else:
                written = conn.execute(
                    "UPDATE working_memory SET version = ?, fields = ?, updated_at = ?, expires_at = ? "
                    "WHERE tenant_id = ? AND user_id = ? AND version = ?",
                    (new.version, fields, new.updated_at, new.expires_at, new.tenant_id, new.user_id, expected),
                ).rowcount
            if not written:
                return False  # another writer moved the version on: nothing was written
            conn.execute(
                "INSERT INTO working_memory_changes VALUES (?, ?, ?, ?, ?)",
                (new.tenant_id, new.user_id, change.version, change.model_dump_json(), new.expires_at),
            )
            return True

    def _working_memory_changes(self, tenant_id: str, user_id: str) -> list[WorkingMemoryChange]:
        with self._errors("read working memory history"):
            rows = (
                self._conn()
                .execute(
                    "SELECT body FROM working_memory_changes WHERE tenant_id = ? AND user_id = ? "
                    "AND (expires_at IS NULL OR expires_at > ?)",
                    (tenant_id, user_id, self.clock()),
                )
                .fetchall()
            )
        return [WorkingMemoryChange.model_validate_json(r[0]) for r in rows]

    def _summary(self, tenant_id: str, thread_id: str) -> ThreadSummary | None:
        with self._errors("read a summary"):
            row = (
                self._conn()
                .execute("SELECT body FROM summaries WHERE tenant_id = ? AND thread_id = ?", (tenant_id, thread_id))
                .fetchone()
            )
        return None if row is None else ThreadSummary.model_validate_json(row[0])

    def _write_summary(self, summary: ThreadSummary) -> bool:
        body = summary.model_dump_json()
        with self.db.transaction("write a summary") as conn:
            if summary.version == 1:
                sql = "INSERT OR IGNORE INTO summaries VALUES (?, ?, ?, ?, ?)"
                args: tuple[Any, ...] = (summary.tenant_id, summary.thread_id, 1, body, summary.expires_at)
            else:
                sql = (
                    "UPDATE summaries SET version = ?, body = ?, expires_at = ? "
                    "WHERE tenant_id = ? AND thread_id = ? AND version = ?"
                )
                args = (
                    summary.version,
                    body,
                    summary.expires_at,
                    summary.tenant_id,
                    summary.thread_id,
                    summary.version - 1,
                )
            return bool(conn.execute(sql, args).rowcount)

    def get_tenant_config(self, tenant_id: str) -> TenantConfig | None:
        with self._errors("read tenant settings"):
            row = self._conn().execute("SELECT body FROM tenants WHERE tenant_id = ?", (tenant_id,)).fetchone()
        return None if row is None else TenantConfig.model_validate_json(row[0])

    def _put_tenant_config(self, config: TenantConfig) -> None:
        with self.db.transaction("write tenant settings") as conn:
            conn.execute(
                "INSERT INTO tenants VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body",
                (config.tenant_id, config.model_dump_json()),
            )

    # ---- deletion ----------------------------------------------------------------------------------
    def _delete_thread(self, tenant_id: str, thread_id: str) -> Erasure:
        with self.db.transaction("delete a thread") as conn:
            return self._delete_threads(conn, tenant_id, [thread_id])

    @staticmethod
    def _delete_threads(conn: sqlite3.Connection, tenant_id: str, thread_ids: list[str]) -> Erasure:
        out = Erasure()
        for thread_id in thread_ids:
            key = (tenant_id, thread_id)
            requests = [
                r[0]
                for r in conn.execute(
                    "SELECT request_id FROM requests WHERE tenant_id = ? AND thread_id = ?", key
                ).fetchall()
            ]
            extra = _request_tables(conn)
            for request_id in requests:
                out.events += conn.execute(
                    "DELETE FROM events WHERE tenant_id = ? AND request_id = ?", (tenant_id, request_id)
                ).rowcount
                for table in extra:
                    out.other += conn.execute(
                        f"DELETE FROM {table} WHERE tenant_id = ? AND request_id = ?", (tenant_id, request_id)
                    ).rowcount
            out.requests += conn.execute("DELETE FROM requests WHERE tenant_id = ? AND thread_id = ?", key).rowcount
            out.messages += conn.execute("DELETE FROM messages WHERE tenant_id = ? AND thread_id = ?", key).rowcount
            out.summaries += conn.execute("DELETE FROM summaries WHERE tenant_id = ? AND thread_id = ?", key).rowcount
            for table in _present(conn, THREAD_TABLES):
                out.other += conn.execute(f"DELETE FROM {table} WHERE tenant_id = ? AND thread_id = ?", key).rowcount
            out.threads += conn.execute("DELETE FROM threads WHERE tenant_id = ? AND thread_id = ?", key).rowcount
        return out

    def _erase_user(self, tenant_id: str, user_id: str) -> Erasure:
        key = (tenant_id, user_id)
        with self.db.transaction("erase a user") as conn:
            threads = {
                r[0] for r in conn.execute("SELECT thread_id FROM threads WHERE tenant_id = ? AND user_id = ?", key)
            } | {
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT thread_id FROM messages WHERE tenant_id = ? AND user_id = ?", key
                )
            }
            out = self._delete_threads(conn, tenant_id, sorted(threads))
            # Requests and events of the user outside those threads (none are expected; be thorough).
            for (request_id,) in conn.execute(
                "SELECT request_id FROM requests WHERE tenant_id = ? AND user_id = ?", key
            ).fetchall():
                out.events += conn.execute(
                    "DELETE FROM events WHERE tenant_id = ? AND request_id = ?", (tenant_id, request_id)
                ).rowcount
            out.requests += conn.execute("DELETE FROM requests WHERE tenant_id = ? AND user_id = ?", key).rowcount
            for table in _request_tables(conn):  # e.g. feedback the user gave
                out.other += conn.execute(f"DELETE FROM {table} WHERE tenant_id = ? AND user_id = ?", key).rowcount
            out.working_memory += conn.execute(
                "DELETE FROM working_memory WHERE tenant_id = ? AND user_id = ?", key
            ).rowcount
            out.working_memory += conn.execute(
                "DELETE FROM working_memory_changes WHERE tenant_id = ? AND user_id = ?", key
            ).rowcount
        return out

    def _mark_erased(self, tenant_id: str, user_key: str, at: float) -> None:
        with self.db.transaction("mark an erasure") as conn:
            conn.execute(
                "INSERT INTO erasures VALUES (?, ?, ?) ON CONFLICT (tenant_id, user_key) DO UPDATE "
                "SET erased_at = excluded.erased_at",
                (tenant_id, user_key, at),
            )

    def purge_expired(self) -> int:
        now = self.clock()
        removed = 0
        with self.db.transaction("purge expired records") as conn:
            offloaded = [
                r[0]
                for r in conn.execute(
                    "SELECT content_ref FROM messages WHERE expires_at <= ? AND content_ref IS NOT NULL", (now,)
                )
            ] + [
                json.loads(r[0])["$ref"]
                for r in conn.execute(
                    "SELECT response FROM requests WHERE expires_at <= ? AND response LIKE '{\"$ref\":%'", (now,)
                )
            ]
            for table in ("messages", "threads", "requests", "events", "summaries", "working_memory_changes"):
                removed += conn.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (now,)).rowcount
            removed += conn.execute("DELETE FROM working_memory WHERE expires_at <= ?", (now,)).rowcount
            for table in _request_tables(conn) + _present(conn, THREAD_TABLES):
                removed += conn.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (now,)).rowcount
        if offloaded and self.payloads is not None:  # after the records: never a pointer to nothing
            self.payloads.delete(offloaded)
        return removed

    def close(self) -> None:
        self.db.close()
