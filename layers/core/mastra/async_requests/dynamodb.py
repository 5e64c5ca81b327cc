"""Status records in the single DynamoDB table, in their request's partition:

    item            PK                       SK        attributes
    async request   T#<tenant>#RQ#<request>  ASYNC     body (RequestStatus JSON), rev, expires_at (TTL)

The request's partition also holds its turn record, events, feedback and outcome: deleting the
thread or erasing the user deletes the record with them. Writes are conditional on ``rev``.
"""

from __future__ import annotations

import time
from typing import Any

from mastra.async_requests.models import RequestStatus
from mastra.async_requests.store import RequestStatusStore
from mastra.errors import ConflictError, StorageError
from mastra.storage.dynamo_table import DynamoTable, _n, _s, condition_failed

SK = "ASYNC"


def _key(tenant_id: str, request_id: str) -> dict[str, Any]:
    return {"PK": _s(f"T#{tenant_id}#RQ#{request_id}"), "SK": _s(SK)}


class DynamoDBRequestStatusStore(DynamoTable, RequestStatusStore):
    backend = "dynamodb"

    @classmethod
    def sharing(cls, table: DynamoTable) -> DynamoDBRequestStatusStore:
        """A status store on another store's table and client (the turn store's)."""
        return cls(table.table, client=table._client)

    def _item(self, status: RequestStatus) -> dict[str, Any]:
        item = {**_key(status.tenant_id, status.request_id), "body": _s(status.model_dump_json())}
        item["rev"] = _n(status.revision)
        if status.expires_at is not None:
            item["expires_at"] = _n(int(status.expires_at))
        return item

    def create(self, status: RequestStatus) -> RequestStatus:
        new = status.model_copy(update={"revision": 1})
        try:
            with self._errors("store an async request"):
                self.client.put_item(
                    TableName=self.table, Item=self._item(new), ConditionExpression="attribute_not_exists(PK)"
                )
        except StorageError as exc:
            if condition_failed(exc):
                raise ConflictError(
                    f"request {status.request_id!r} exists", details={"request_id": status.request_id}
                ) from None
            raise
        return new

    def get(self, tenant_id: str, request_id: str) -> RequestStatus | None:
        # Consistent: a worker reads the record the API has just written, a client its latest state.
        item = self._get_item("read an async request", f"T#{tenant_id}#RQ#{request_id}", SK, consistent=True)
        if item is None:
            return None
        status = RequestStatus.model_validate_json(item["body"]["S"])
        if status.expires_at is not None and status.expires_at <= time.time():
            return None  # TTL deletes within days; reads never return an expired record
        return status

    def _replace(self, status: RequestStatus, expected_revision: int) -> bool:
        try:
            with self._errors("update an async request"):
                self.client.put_item(
                    TableName=self.table,
                    Item=self._item(status),
                    ConditionExpression="rev = :expected",
                    ExpressionAttributeValues={":expected": _n(expected_revision)},
                )
        except StorageError as exc:
            if condition_failed(exc):
                return False
            raise
        return True
