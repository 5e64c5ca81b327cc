"""Prompts in the single DynamoDB table. Deployment-wide, like the model registry (not tenant data):

    item        PK                 SK                                  body
    version     PROMPT#<id>        V#<version, 8 digits>               PromptVersion JSON
    label       PROMPT#<id>        LABEL#<name>                        Label JSON, ``revision`` (number)
    label move  PROMPT#<id>        LABELLOG#<name>#<revision, 8 digits> LabelMove JSON
    index       PROMPTS            <id>                                (written with version 1)

A prompt is one partition: its versions, labels and history are each one ``begins_with`` Query.
Listing prompt ids queries the fixed ``PROMPTS`` partition, never a Scan. A label move is one
``TransactWriteItems``: the label, conditional on its revision, and its history entry.
"""

from __future__ import annotations

import random
import time
from typing import Any

from mastra.errors import StorageError
from mastra.prompts.models import Label, LabelMove, PromptVersion
from mastra.prompts.store import PromptStore
from mastra.storage.dynamo_table import DynamoTable, _n, _s

CONFLICT_RETRIES = 6
INDEX_PK = "PROMPTS"


def _pk(prompt_id: str) -> str:
    return f"PROMPT#{prompt_id}"


def _version_sk(version: int) -> str:
    return f"V#{version:08d}"


def _cancel_reasons(exc: StorageError) -> list[str]:
    """The per-item reasons of a cancelled transaction (or ``[code]`` of a single failed write)."""
    from botocore.exceptions import ClientError

    cause = exc.__cause__
    if not isinstance(cause, ClientError):
        return []
    reasons = [str(r.get("Code")) for r in cause.response.get("CancellationReasons", [])]
    return reasons or [str(cause.response.get("Error", {}).get("Code"))]


class DynamoDBPromptStore(DynamoTable, PromptStore):
    backend = "dynamodb"

    @classmethod
    def sharing(cls, table: DynamoTable) -> DynamoDBPromptStore:
        """A prompt store on another store's table and client (the turn store's)."""
        return cls(table.table, client=table._client)

    # ---- versions --------------------------------------------------------------------------------
    def _insert_version(self, version: PromptVersion, *, numbered: bool) -> PromptVersion:
        for attempt in range(CONFLICT_RETRIES + 1):
            if not numbered:
                version = self._next(version, self.latest_version(version.id))
            item = {
                "PK": _s(_pk(version.id)),
                "SK": _s(_version_sk(version.version)),
                "body": _s(version.model_dump_json()),
            }
            put = {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
            try:
                with self._errors("create a prompt version"):
                    if version.version == 1:  # the index entry goes with the first version
                        index = {"PK": _s(INDEX_PK), "SK": _s(version.id), "created_at": _n(version.created_at)}
                        self.client.transact_write_items(
                            TransactItems=[{"Put": put}, {"Put": {"TableName": self.table, "Item": index}}]
                        )
                    else:
                        self.client.put_item(**put)
                return version
            except StorageError as exc:
                reasons = _cancel_reasons(exc)
                if not {"ConditionalCheckFailed", "ConditionalCheckFailedException"} & set(reasons[:1]):
                    raise
                if numbered:
                    raise self._taken(version) from None
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # another writer took the number: next one
        raise StorageError(f"dynamodb: could not number a new version of {version.id!r}", details={"table": self.table})

    def get_version(self, prompt_id: str, version: int) -> PromptVersion | None:
        item = self._get_item("read a prompt version", _pk(prompt_id), _version_sk(version))
        return None if item is None else PromptVersion.model_validate_json(item["body"]["S"])

    def _prefixed(self, what: str, prompt_id: str, prefix: str, **params: Any) -> list[dict[str, Any]]:
        return self._query(
            what,
            limit=params.pop("limit", None),
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :p)",
            ExpressionAttributeValues={":pk": _s(_pk(prompt_id)), ":p": _s(prefix)},
            **params,
        )

    def versions(self, prompt_id: str) -> list[PromptVersion]:
        items = self._prefixed("list prompt versions", prompt_id, "V#")
        return [PromptVersion.model_validate_json(i["body"]["S"]) for i in items]

    def latest_version(self, prompt_id: str) -> int:
        items = self._prefixed(
            "read a prompt",
            prompt_id,
            "V#",
            limit=1,
            Limit=1,
            ScanIndexForward=False,
            ConsistentRead=True,
            ProjectionExpression="SK",
        )
        return int(items[0]["SK"]["S"][2:]) if items else 0

    def prompt_ids(self) -> list[str]:
        items = self._query(
            "list prompts",
            limit=None,
            TableName=self.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": _s(INDEX_PK)},
            ProjectionExpression="SK",
        )
        return [i["SK"]["S"] for i in items]

    # ---- labels ------------------------------------------------------------------------------------
    def get_label(self, prompt_id: str, name: str) -> Label | None:
        item = self._get_item("read a prompt label", _pk(prompt_id), f"LABEL#{name}", consistent=True)
        return None if item is None else Label.model_validate_json(item["body"]["S"])

    def labels(self, prompt_id: str) -> list[Label]:
        items = self._prefixed("list prompt labels", prompt_id, "LABEL#")
        return [Label.model_validate_json(i["body"]["S"]) for i in items]

    def _write_label(self, label: Label, move: LabelMove, *, expected_revision: int | None) -> None:
        pk = _s(_pk(label.prompt_id))
        put_label: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                "PK": pk,
                "SK": _s(f"LABEL#{label.name}"),
                "revision": _n(label.revision),
                "body": _s(label.model_dump_json()),
            },
        }
        if expected_revision is None:
            put_label["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put_label["ConditionExpression"] = "revision = :r"
            put_label["ExpressionAttributeValues"] = {":r": _n(expected_revision)}
        log = {
            "TableName": self.table,
            "Item": {
                "PK": pk,
                "SK": _s(f"LABELLOG#{move.label}#{move.revision:08d}"),
                "at": _n(move.at),
                "body": _s(move.model_dump_json()),
            },
            "ConditionExpression": "attribute_not_exists(PK)",
        }
        try:
            with self._errors("move a prompt label"):
                self.client.transact_write_items(TransactItems=[{"Put": put_label}, {"Put": log}])
        except StorageError as exc:
            reasons = _cancel_reasons(exc)
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise self._lost_race(label.prompt_id, label.name) from None
            raise

    def history(self, prompt_id: str, name: str | None = None) -> list[LabelMove]:
        items = self._prefixed("read label history", prompt_id, f"LABELLOG#{name}#" if name else "LABELLOG#")
        moves = [LabelMove.model_validate_json(i["body"]["S"]) for i in items]
        return sorted(moves, key=lambda m: (m.at, m.label, m.revision))
