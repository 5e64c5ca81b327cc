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
from mastra.storage.base import Store
from mastra.storage.models import EventRecord, Message, ModelVersion, RequestRecord, Thread, Turn
from mastra.storage.sqlite_db import SQLiteDatabase

SCHEMA_VERSION = 3
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
_MESSAGE_COLUMNS = "tenant_id, thread_id, message_id, role, content, user_id, request_id, agent_id, created_at"
_THREAD_COLUMNS = "tenant_id, thread_id, user_id, created_at, updated_at, message_count"


class SQLiteStore(Store):
    backend = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self.db = SQLiteDatabase(path, busy_timeout_ms=busy_timeout_ms)
        self.path = self.db.path
        with self.db.errors("open"):
            conn = self.db.conn()
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                conn.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")

    def _conn(self) -> sqlite3.Connection:
        return self.db.conn()

    def _errors(self, action: str) -> AbstractContextManager[None]:
        return self.db.errors(action)

    # ---- writes --------------------------------------------------------------------------------
    def _write_turn(self, turn: Turn) -> bool:
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
            inserted = conn.execute(
                "INSERT OR IGNORE INTO requests VALUES (?, ?, ?, ?, ?, ?)",
                (
                    req.tenant_id,
                    req.request_id,
                    req.user_id,
                    req.thread_id,
                    req.created_at,
                    json.dumps(req.response, separators=(",", ":")),
                ),
            ).rowcount
            if not inserted:  # recorded before: this transaction wrote nothing
                return False
            conn.execute(
                "INSERT INTO threads VALUES (?, ?, ?, ?, ?, 2) ON CONFLICT (tenant_id, thread_id) DO UPDATE "
                "SET updated_at = excluded.updated_at, message_count = message_count + 2",
                (req.tenant_id, req.thread_id, req.user_id, user.created_at, bot.created_at),
            )
            conn.executemany(
                f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            (e.tenant_id, e.request_id, e.event_id, e.type, e.version, e.occurred_at, json.dumps(e.body))
            for e in events
        ]
        with self.db.transaction("record events") as conn:
            conn.executemany("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

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

    def get_request(self, tenant_id: str, request_id: str) -> RequestRecord | None:
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
        )

    def close(self) -> None:
        self.db.close()
