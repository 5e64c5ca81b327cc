"""One SQLite file shared by every embedded store (turns and memory, prompts): connections,
transactions and errors in one place.

WAL journal with ``synchronous=NORMAL``: a commit is durable against a crash of the process (the
common failure) and costs microseconds instead of an fsync; a power cut can lose the last
commits, never corrupt the file. Each thread gets its own connection (SQLite connections are not
shared across threads), and writers queue on SQLite's lock for up to ``busy_timeout``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mastra.errors import StorageError


class SQLiteDatabase:
    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"sqlite: cannot create {self.path.parent}: {exc.strerror}") from exc
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit: transactions are explicit, see :meth:`transaction`)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def ensure_schema(self, schema: str) -> None:
        """Run idempotent DDL (``CREATE ... IF NOT EXISTS``) for a part of the file."""
        with self.errors("open"):
            self.conn().executescript(schema)

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StorageError(f"sqlite: cannot {action}: {exc}", details={"path": str(self.path)}) from exc

    @contextmanager
    def transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` (writers serialise on the lock) ... ``COMMIT``; rolled back on any error."""
        conn = self.conn()
        with self.errors(action):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
