"""A Powertools idempotency persistence layer over the embedded SQLite file (``MASTRA_HOME``).

Powertools ships DynamoDB, Redis and cache layers; locally Mastra runs on one SQLite file, so this
implements ``BasePersistenceLayer``'s four hooks with the same semantics as its DynamoDB layer:
``_put_record`` claims a key only if no live record holds it (none, expired, or an in-progress
record whose lease ran out), inside one ``BEGIN IMMEDIATE`` transaction so two claimers cannot
both win; on a conflict it validates the payload hash and raises
``IdempotencyItemAlreadyExistsError`` carrying the stored record (saving Powertools a re-read).
"""

from __future__ import annotations

import random
import time
from typing import Any

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS, DataRecord

from mastra.storage.sqlite_db import SQLiteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, expiration INTEGER NOT NULL, in_progress_expiration INTEGER,
    data TEXT, validation TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_by_expiry ON idempotency (expiration);
"""
_COLUMNS = "id, status, expiration, in_progress_expiration, data, validation"
_SELECT = f"SELECT {_COLUMNS} FROM idempotency WHERE id = ?"
PURGE_EVERY = 200  # on average, one claim in this many deletes expired records


class SQLitePersistenceLayer(BasePersistenceLayer):
    def __init__(self, db: SQLiteDatabase) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.db = db
        db.ensure_schema(_SCHEMA)

    @staticmethod
    def _record(row: Any) -> DataRecord:
        return DataRecord(
            idempotency_key=row[0],
            status=row[1],
            expiry_timestamp=row[2],
            in_progress_expiry_timestamp=row[3],
            response_data=row[4] or "",
            payload_hash=row[5] or "",
        )

    def _get_record(self, idempotency_key: str) -> DataRecord:
        with self.db.errors("read an idempotency record"):
            row = (
                self.db.conn()
                .execute(f"SELECT {_COLUMNS} FROM idempotency WHERE id = ?", (idempotency_key,))
                .fetchone()
            )
        if row is None:
            raise IdempotencyItemNotFoundError
        return self._record(row)

    def _put_record(self, data_record: DataRecord) -> None:
        now = time.time()
        held: DataRecord | None = None
        with self.db.transaction("claim an idempotency key") as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM idempotency WHERE id = ?", (data_record.idempotency_key,)
            ).fetchone()
            old = None if row is None else self._record(row)
            if old is not None and not self._claimable(old, now):
                held = old  # nothing written: the transaction commits empty
            else:
                conn.execute(
                    f"INSERT OR REPLACE INTO idempotency ({_COLUMNS}) VALUES (?, ?, ?, ?, NULL, ?)",
                    (
                        data_record.idempotency_key,
                        data_record.status,
                        data_record.expiry_timestamp,
                        data_record.in_progress_expiry_timestamp,
                        data_record.payload_hash if self.payload_validation_enabled else None,
                    ),
                )
                if random.random() < 1 / PURGE_EVERY:
                    conn.execute("DELETE FROM idempotency WHERE expiration < ?", (int(now),))
        if held is not None:
            self._validate_payload(data_payload=data_record, stored_data_record=held)
            raise IdempotencyItemAlreadyExistsError(old_data_record=held)

    @staticmethod
    def _claimable(old: DataRecord, now: float) -> bool:
        """The DynamoDB layer's condition: the record expired, or it is in progress past its lease."""
        if old.expiry_timestamp is not None and old.expiry_timestamp < int(now):
            return True
        return (
            old._status == STATUS_CONSTANTS["INPROGRESS"]
            and old.in_progress_expiry_timestamp is not None
            and old.in_progress_expiry_timestamp < int(now * 1000)
        )

    def _update_record(self, data_record: DataRecord) -> None:
        with self.db.transaction("store an idempotent response") as conn:
            conn.execute(
                "UPDATE idempotency SET data = ?, expiration = ?, status = ?, validation = ? WHERE id = ?",
                (
                    data_record.response_data,
                    data_record.expiry_timestamp,
                    data_record.status,
                    data_record.payload_hash if self.payload_validation_enabled else None,
                    data_record.idempotency_key,
                ),
            )

    def _delete_record(self, data_record: DataRecord) -> None:
        with self.db.transaction("release an idempotency key") as conn:
            conn.execute("DELETE FROM idempotency WHERE id = ?", (data_record.idempotency_key,))
