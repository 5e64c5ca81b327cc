"""Rate-limit buckets in the single DynamoDB table, one item per (tenant, actor):

    item     PK                        SK        attributes
    bucket   T#<tenant>#RL#<actor>     BUCKET    tokens, updated_at, version, expires_at (TTL)

A take is a strongly consistent ``GetItem`` and, if it admits, a ``PutItem`` conditioned on the
version read (``attribute_not_exists(PK)`` for a new bucket): two instances that read the same
version cannot both write, the loser re-reads and retries (``RateLimitStore.take``). A refusal
writes nothing (the refill is recomputed from the stored state), so an over-limit caller costs
one read per request. ``expires_at`` is when the bucket would be full again: the table's TTL then
deletes it, and a missing bucket is a full one, so TTL's lag changes nothing.
"""

from __future__ import annotations

from typing import Any

from mastra.errors import StorageError
from mastra.security.ratelimit import Bucket
from mastra.security.ratelimit_store import RateLimitStore
from mastra.storage.dynamo_table import DynamoTable, _n, _s, condition_failed


def _pk(tenant: str, actor: str) -> str:
    return f"T#{tenant}#RL#{actor}"


SK = "BUCKET"


class DynamoDBRateLimitStore(DynamoTable, RateLimitStore):
    backend = "dynamodb"

    @classmethod
    def sharing(cls, table: DynamoTable) -> DynamoDBRateLimitStore:
        """A bucket store on another store's table and client (the turn store's)."""
        return cls(table.table, client=table._client)

    def _read(self, tenant_id: str, actor: str) -> tuple[Bucket | None, int]:
        item = self._get_item("read a rate-limit bucket", _pk(tenant_id, actor), SK, consistent=True)
        if item is None:
            return None, 0
        return Bucket(float(item["tokens"]["N"]), float(item["updated_at"]["N"])), int(item["version"]["N"])

    def _write(self, tenant_id: str, actor: str, bucket: Bucket, version: int, *, expires_at: float) -> bool:
        params: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                "PK": _s(_pk(tenant_id, actor)),
                "SK": _s(SK),
                "tokens": _n(float(bucket.tokens)),
                "updated_at": _n(float(bucket.updated_at)),
                "version": _n(version + 1),
                "expires_at": _n(int(expires_at) + 1),
            },
        }
        if version == 0:
            params["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            params["ConditionExpression"] = "version = :v"
            params["ExpressionAttributeValues"] = {":v": _n(version)}
        try:
            with self._errors("write a rate-limit bucket"):
                self.client.put_item(**params)
        except StorageError as exc:
            if condition_failed(exc):
                return False
            raise
        return True
