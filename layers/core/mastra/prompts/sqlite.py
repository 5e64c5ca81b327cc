"""Prompts in the embedded SQLite file (the turn store's ``SQLiteDatabase``), in tables of their own."""

from __future__ import annotations

from mastra.prompts.models import Label, LabelMove, PromptVersion
from mastra.prompts.store import PromptStore
from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS prompt_versions (
    prompt_id TEXT NOT NULL, version INTEGER NOT NULL, created_at REAL NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (prompt_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prompt_labels (
    prompt_id TEXT NOT NULL, label TEXT NOT NULL, revision INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (prompt_id, label)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prompt_label_moves (
    prompt_id TEXT NOT NULL, label TEXT NOT NULL, revision INTEGER NOT NULL, at REAL NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (prompt_id, label, revision)
) WITHOUT ROWID;
"""


class SQLitePromptStore(PromptStore):
    backend = "sqlite"

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db
        db.ensure_schema(_SCHEMA)

    def _insert_version(self, version: PromptVersion, *, numbered: bool) -> PromptVersion:
        # BEGIN IMMEDIATE serialises writers, so MAX + 1 cannot be taken twice.
        with self.db.transaction("create a prompt version") as conn:
            if not numbered:
                row = conn.execute("SELECT MAX(version) FROM prompt_versions WHERE prompt_id = ?", (version.id,))
                version = self._next(version, row.fetchone()[0] or 0)
            inserted = conn.execute(
                "INSERT OR IGNORE INTO prompt_versions VALUES (?, ?, ?, ?)",
                (version.id, version.version, version.created_at, version.model_dump_json()),
            ).rowcount
            if not inserted:
                raise self._taken(version)
        return version

    def get_version(self, prompt_id: str, version: int) -> PromptVersion | None:
        with self.db.errors("read a prompt version"):
            row = (
                self.db.conn()
                .execute("SELECT body FROM prompt_versions WHERE prompt_id = ? AND version = ?", (prompt_id, version))
                .fetchone()
            )
        return None if row is None else PromptVersion.model_validate_json(row[0])

    def versions(self, prompt_id: str) -> list[PromptVersion]:
        with self.db.errors("list prompt versions"):
            rows = self.db.conn().execute(
                "SELECT body FROM prompt_versions WHERE prompt_id = ? ORDER BY version", (prompt_id,)
            )
            return [PromptVersion.model_validate_json(r[0]) for r in rows]

    def latest_version(self, prompt_id: str) -> int:
        with self.db.errors("read a prompt"):
            row = self.db.conn().execute("SELECT MAX(version) FROM prompt_versions WHERE prompt_id = ?", (prompt_id,))
            return int(row.fetchone()[0] or 0)

    def prompt_ids(self) -> list[str]:
        with self.db.errors("list prompts"):
            rows = self.db.conn().execute("SELECT DISTINCT prompt_id FROM prompt_versions ORDER BY prompt_id")
            return [r[0] for r in rows]

    def get_label(self, prompt_id: str, name: str) -> Label | None:
        with self.db.errors("read a prompt label"):
            row = (
                self.db.conn()
                .execute("SELECT body FROM prompt_labels WHERE prompt_id = ? AND label = ?", (prompt_id, name))
                .fetchone()
            )
        return None if row is None else Label.model_validate_json(row[0])

    def labels(self, prompt_id: str) -> list[Label]:
        with self.db.errors("list prompt labels"):
            rows = self.db.conn().execute(
                "SELECT body FROM prompt_labels WHERE prompt_id = ? ORDER BY label", (prompt_id,)
            )
            return [Label.model_validate_json(r[0]) for r in rows]

    def _write_label(self, label: Label, move: LabelMove, *, expected_revision: int | None) -> None:
        with self.db.transaction("move a prompt label") as conn:
            if expected_revision is None:
                changed = conn.execute(
                    "INSERT OR IGNORE INTO prompt_labels VALUES (?, ?, ?, ?)",
                    (label.prompt_id, label.name, label.revision, label.model_dump_json()),
                ).rowcount
            else:
                changed = conn.execute(
                    "UPDATE prompt_labels SET revision = ?, body = ? "
                    "WHERE prompt_id = ? AND label = ? AND revision = ?",
                    (label.revision, label.model_dump_json(), label.prompt_id, label.name, expected_revision),
                ).rowcount
            if not changed:
                raise self._lost_race(label.prompt_id, label.name)
            conn.execute(
                "INSERT INTO prompt_label_moves VALUES (?, ?, ?, ?, ?)",
                (move.prompt_id, move.label, move.revision, move.at, move.model_dump_json()),
            )

    def history(self, prompt_id: str, name: str | None = None) -> list[LabelMove]:
        query = "SELECT body FROM prompt_label_moves WHERE prompt_id = ?"
        params: tuple[str, ...] = (prompt_id,)
        if name is not None:
            query, params = query + " AND label = ?", (prompt_id, name)
        with self.db.errors("read label history"):
            rows = self.db.conn().execute(query + " ORDER BY at, label, revision", params)
            return [LabelMove.model_validate_json(r[0]) for r in rows]
