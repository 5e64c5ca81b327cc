"""The answer cache and thread counters in the single DynamoDB table (tenant data):

    item          PK                              SK          attributes
    cached answer T#<tenant>#CACHE#<key>          ANSWER      body (CachedAnswer JSON), expires_at (TTL)
    thread usage  T#<tenant>#TH#<thread>          USAGE       tokens, elapsed_ms, requests (numbers), expires_at

A cached answer carries the table's TTL attribute, so DynamoDB deletes it after it expires (reads
check ``expires_at`` too: TTL deletion can lag). Usage is one ``UpdateItem`` with ``ADD``: atomic,
and it needs no read. The usage item sits in the thread's partition (the turn store's
``T#<tenant>#TH#<thread>``), so deleting the thread, or erasing its user, deletes it too; and it
carries the tenant's retention like the thread item (each addition moves ``expires_at`` on).
"""

from __future__ import annotations

from mastra.cache.store import CachedAnswer, CacheStore, ThreadUsage
from mastra.storage.dynamo_table import DynamoTable, _n, _s


def _cache_pk(tenant_id: str, key: str) -> str:
    return f"T#{tenant_id}#CACHE#{key}"


def _thread_pk(tenant_id: str, thread_id: str) -> str:
    return f"T#{tenant_id}#TH#{thread_id}"  # the thread's own partition (storage/dynamodb.py)


class DynamoDBCacheStore(DynamoTable, CacheStore):
    backend = "dynamodb"

    @classmethod
    def sharing(cls, table: DynamoTable) -> DynamoDBCacheStore:
        """A cache store on another store's table and client (the turn store's)."""
        return cls(table.table, client=table._client)

    def _get(self, tenant_id: str, key: str) -> CachedAnswer | None:
        item = self._get_item("read a cached answer", _cache_pk(tenant_id, key), "ANSWER")
        return None if item is None else CachedAnswer.model_validate_json(item["body"]["S"])

    def put_answer(self, tenant_id: str, answer: CachedAnswer) -> None:
        with self._errors("cache an answer"):
            self.client.put_item(
                TableName=self.table,
                Item={
                    "PK": _s(_cache_pk(tenant_id, answer.key)),
                    "SK": _s("ANSWER"),
                    "body": _s(answer.model_dump_json()),
                    "expires_at": _n(int(answer.expires_at) + 1),
                },
            )

    def thread_usage(self, tenant_id: str, thread_id: str) -> ThreadUsage:
        item = self._get_item("read a thread's usage", _thread_pk(tenant_id, thread_id), "USAGE", consistent=True)
        return ThreadUsage() if item is None else _usage(item)

    def add_usage(
        self, tenant_id: str, thread_id: str, *, tokens: int, elapsed_ms: float, expires_at: float | None = None
    ) -> ThreadUsage:
        values = {":t": _n(tokens), ":e": _n(round(elapsed_ms, 3)), ":one": _n(1)}
        expiry = " REMOVE expires_at"
        if expires_at is not None:
            expiry, values[":x"] = " SET expires_at = :x", _n(int(expires_at))
        with self._errors("count a thread's usage"):
            item = self.client.update_item(
                TableName=self.table,
                Key={"PK": _s(_thread_pk(tenant_id, thread_id)), "SK": _s("USAGE")},
                UpdateExpression="ADD tokens :t, elapsed_ms :e, requests :one" + expiry,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        return _usage(item)


def _usage(item: dict) -> ThreadUsage:  # type: ignore[type-arg]
    return ThreadUsage(
        tokens=int(item["tokens"]["N"]), elapsed_ms=float(item["elapsed_ms"]["N"]), requests=int(item["requests"]["N"])
    )
