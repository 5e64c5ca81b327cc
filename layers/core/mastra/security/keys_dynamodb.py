"""API keys in the single DynamoDB table:

    item   PK             SK     other keys
    key    KEY#<key_id>   KEY    GSI1PK T#<tenant>#KEYS, GSI1SK <created_at>#<key_id>

Checking a credential is one ``GetItem`` by key id (strongly consistent, so a revocation is seen
by the next uncached check). A tenant's keys are one Query of GSI1 (the table's existing index,
under a key no other item uses). The key id is not under the tenant's prefix because the caller's
tenant is what the lookup finds out; the item's ``tenant_id`` is checked by every tenant-facing
call (``KeyService``), and revocation is conditional on it.
"""

from __future__ import annotations

from typing import Any

from mastra.errors import ConflictError, StorageError
from mastra.security.keys import ApiKey
from mastra.security.keys_store import KeyStore
from mastra.storage.dynamo_table import DynamoTable, _n, _s, condition_failed


def _pk(key_id: str) -> str:
    return f"KEY#{key_id}"


class DynamoDBKeyStore(DynamoTable, KeyStore):
    backend = "dynamodb"

    @classmethod
    def sharing(cls, table: DynamoTable) -> DynamoDBKeyStore:
        """A key store on another store's table and client (the turn store's)."""
        return cls(table.table, client=table._client)

    def put(self, key: ApiKey) -> None:
        item: dict[str, Any] = {
            "PK": _s(_pk(key.key_id)),
            "SK": _s("KEY"),
            "GSI1PK": _s(f"T#{key.tenant_id}#KEYS"),
            "GSI1SK": _s(f"{key.created_at:017.6f}#{key.key_id}"),
            "tenant_id": _s(key.tenant_id),
            "body": _s(key.model_dump_json()),
        }
        try:
            with self._errors("store an API key"):
                self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(PK)")
        except StorageError as exc:
            if condition_failed(exc):
                raise ConflictError(f"key {key.key_id} exists", details={"key_id": key.key_id}) from None
            raise

    def get(self, key_id: str) -> ApiKey | None:
        item = self._get_item("read an API key", _pk(key_id), "KEY", consistent=True)
        return None if item is None else ApiKey.model_validate_json(item["body"]["S"])

    def list(self, tenant_id: str) -> list[ApiKey]:
        items = self._query(
            "list API keys",
            limit=None,
            TableName=self.table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :p",
            ExpressionAttributeValues={":p": _s(f"T#{tenant_id}#KEYS")},
        )
        return [ApiKey.model_validate_json(i["body"]["S"]) for i in items]

    def revoke(self, tenant_id: str, key_id: str, at: float) -> ApiKey | None:
        key = self.get(key_id)
        if key is None or key.tenant_id != tenant_id:
            return None
        if key.revoked_at is not None:
            return key
        revoked = key.model_copy(update={"revoked_at": at})
        try:
            with self._errors("revoke an API key"):
                self.client.update_item(
                    TableName=self.table,
                    Key={"PK": _s(_pk(key_id)), "SK": _s("KEY")},
                    UpdateExpression="SET body = :b, revoked_at = :r",
                    ConditionExpression="tenant_id = :t AND attribute_not_exists(revoked_at)",
                    ExpressionAttributeValues={
                        ":b": _s(revoked.model_dump_json()),
                        ":r": _n(at),
                        ":t": _s(tenant_id),
                    },
                )
        except StorageError as exc:
            if condition_failed(exc):  # revoked meanwhile: that revocation stands
                return self.get(key_id)
            raise
        return revoked
