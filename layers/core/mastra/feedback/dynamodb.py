"""Feedback in the single DynamoDB table (keys start with the tenant):

    item       PK                          SK                         other keys
    feedback   T#<tenant>#RQ#<request>     FB#<user>
    outcome    T#<tenant>#RQ#<request>     OUTCOME                    GSI1PK T#<tenant>#OUTDAY#<yyyy-mm-dd>,
                                                                      GSI1SK <created_at>#<request>
    day        T#<tenant>#OUTDAYS          <yyyy-mm-dd>               (a day that has outcomes)
    arm        T#<tenant>#ARM#<topic>      H#<hour, 10 digits>#<agent>#<shard>

Feedback and the outcome share their request's partition (the request record and its events), so
deleting a thread or erasing a user removes them with no change to the turn store's erasure, and
``GET /v1/feedback/{id}`` is one Query. The outcome also sits in GSI1 (the table's existing
index, with a key no other item uses) under the day it was first written: the retraining export
queries the days that have outcomes (listed in one partition, written with each first outcome),
one partition per day, never a Scan. A topic's arm counters are one partition, by hour: the
bandit reads the last N hours in one Query.

Items a transaction writes conflict with each other's concurrent transactions (DynamoDB cancels
one, and it is retried): the arm counters are spread over a few shards (by a hash of the request
id), so concurrent outcomes of one hot topic and agent rarely meet. The day marker is no part of
the transaction: a plain ``PutItem`` (1 WRU, no conflicts) before the first outcome of the day a
container writes, skipped after that (older tables may hold ``<yyyy-mm-dd>#<shard>`` markers:
read the same).

An outcome write is one ``TransactWriteItems``: the outcome (only if its revision is still the one
read), the arm counters' ``ADD`` and a check that the request's thread record still exists and is
not being deleted (an erasure that ran meanwhile is not undone). Deleting a thread (and so erasing
a user) first marks its record ``deleting``, then deletes its requests' partitions (the outcome
with them) and the record last: an outcome committed before the mark is in a partition deleted
after it, and one attempted after the mark is refused. The check is on the thread record (~200 B
whatever the answer: 2 WRU in a transaction) rather than the request record (0.8-1.3 KB, more with
long answers: 2 WRU per started KB).
"""

from __future__ import annotations

import calendar
import time
import zlib
from collections.abc import Iterator
from typing import Any

from mastra.feedback.models import FeedbackRecord, Outcome
from mastra.feedback.store import ArmBucket, FeedbackStore
from mastra.storage.dynamo_table import DELETING, DynamoTable, _n, _s

ARM_SHARDS = 4
ARM_TTL_S = 60 * 86400  # arm counters older than any stats window are deleted by the table's TTL
_RETRY = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


def _request_pk(tenant: str, request: str) -> str:
    return f"T#{tenant}#RQ#{request}"


def _thread_pk(tenant: str, thread: str) -> str:
    return f"T#{tenant}#TH#{thread}"


def _arm_pk(tenant: str, topic: str) -> str:
    return f"T#{tenant}#ARM#{topic}"


def _day(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(at))


def _day_pk(tenant: str, at: float) -> str:
    return f"T#{tenant}#OUTDAY#{_day(at)}"


def _shard(request_id: str, shards: int) -> int:
    return zlib.crc32(request_id.encode()) % shards


def _day_sk(at: float, request: str) -> str:
    return f"{at:017.6f}#{request}"


def _expiry(at: float | None) -> dict[str, Any]:
    return {} if at is None else {"expires_at": _n(int(at))}


class DynamoDBFeedbackStore(DynamoTable, FeedbackStore):
    backend = "dynamodb"

    def __init__(self, table_name: str, *, client: Any | None = None) -> None:
        super().__init__(table_name, client=client)
        self._days: set[tuple[str, str]] = set()  # outcome days marked by this store (tenant, day)

    @classmethod
    def sharing(cls, table: DynamoTable) -> DynamoDBFeedbackStore:
        """A feedback store on another store's table and client (the turn store's)."""
        return cls(table.table, client=table._client)

    # ---- feedback ------------------------------------------------------------------------------
    def put_feedback(self, record: FeedbackRecord) -> FeedbackRecord | None:
        values: dict[str, Any] = {":b": _s(record.model_dump_json()), ":c": _n(record.created_at)}
        expiry = ""
        if record.expires_at is not None:
            expiry, values[":e"] = ", expires_at = :e", _n(int(record.expires_at))
        with self._errors("store feedback"):
            old = self.client.update_item(
                TableName=self.table,
                Key={"PK": _s(_request_pk(record.tenant_id, record.request_id)), "SK": _s(f"FB#{record.user_id}")},
                UpdateExpression="SET body = :b, created_at = if_not_exists(created_at, :c)" + expiry,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_OLD",
            ).get("Attributes")
        return self._feedback(old) if old else None

    @staticmethod
    def _feedback(item: dict[str, Any]) -> FeedbackRecord:
        record = FeedbackRecord.model_validate_json(item["body"]["S"])
        return record.model_copy(update={"created_at": float(item["created_at"]["N"])})

    def feedback_for(self, tenant_id: str, request_id: str) -> list[FeedbackRecord]:
        items = self._query(
            "read feedback",
            limit=None,
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :f)",
            ExpressionAttributeValues={":pk": _s(_request_pk(tenant_id, request_id)), ":f": _s("FB#")},
            ConsistentRead=True,
        )
        return [self._feedback(i) for i in items]

    # ---- outcomes ------------------------------------------------------------------------------
    def get_outcome(self, tenant_id: str, request_id: str) -> Outcome | None:
        item = self._get_item("read an outcome", _request_pk(tenant_id, request_id), "OUTCOME", consistent=True)
        return None if item is None else Outcome.model_validate_json(item["body"]["S"])

    def put_outcome(self, outcome: Outcome, previous: Outcome | None) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        dn, dr = self.delta(outcome, previous)
        pk = _s(_request_pk(outcome.tenant_id, outcome.request_id))
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                "PK": pk,
                "SK": _s("OUTCOME"),
                "revision": _n(outcome.revision),
                "body": _s(outcome.model_dump_json()),
                "GSI1PK": _s(_day_pk(outcome.tenant_id, outcome.created_at)),
                "GSI1SK": _s(_day_sk(outcome.created_at, outcome.request_id)),
                **_expiry(outcome.expires_at),
            },
        }
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["ConditionExpression"] = "revision = :r"
            put["ExpressionAttributeValues"] = {":r": _n(previous.revision)}
        arm = {
            "TableName": self.table,
            "Key": {
                "PK": _s(_arm_pk(outcome.tenant_id, outcome.topic)),
                "SK": _s(f"H#{outcome.hour:010d}#{outcome.agent_id}#{_shard(outcome.request_id, ARM_SHARDS)}"),
            },
            "UpdateExpression": "ADD n :dn, reward_sum :dr SET expires_at = :e",
            "ExpressionAttributeValues": {
                ":dn": _n(dn),
                ":dr": _n(float(dr)),
                ":e": _n(int(outcome.hour * 3600 + ARM_TTL_S)),
            },
        }
        # The request's thread still exists and no deletion has begun (see the module docstring):
        # checked on the thread record (~200 B, 2 WRU in a transaction), not the request record
        # (2 WRU per started KB, and it grows with the answer).
        thread = {
            "TableName": self.table,
            "Key": {"PK": _s(_thread_pk(outcome.tenant_id, outcome.thread_id)), "SK": _s("META")},
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(#deleting)",
            "ExpressionAttributeNames": {"#deleting": DELETING},
        }
        items: list[dict[str, Any]] = [{"Put": put}, {"Update": arm}, {"ConditionCheck": thread}]
        if previous is None:
            self._mark_day(outcome.tenant_id, _day(outcome.created_at))
        try:
            self.client.transact_write_items(TransactItems=items)
            return True
        except ClientError as exc:
            reasons = [str(r.get("Code")) for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons or _RETRY & set(reasons):
                return False  # lost a race, busy, or the request is gone: the caller re-reads
            raise self._failure("store an outcome", exc) from exc
        except BotoCoreError as exc:
            raise self._failure("store an outcome", exc) from exc

    def _mark_day(self, tenant_id: str, day: str) -> None:
        """The day has outcomes: written before the outcome's transaction, so it exists whenever one
        of the day's outcomes does (one written for an outcome that is then refused only makes the
        export read an empty day). Idempotent (the same item every time) and never deleted, so each
        container writes it once per day: later outcomes of the day skip it."""
        if (tenant_id, day) in self._days:
            return
        with self._errors("mark an outcome day"):
            self.client.put_item(TableName=self.table, Item={"PK": _s(f"T#{tenant_id}#OUTDAYS"), "SK": _s(day)})
        self._days.add((tenant_id, day))

    def arm_buckets(self, tenant_id: str, topic: str, since_hour: int) -> list[ArmBucket]:
        items = self._query(
            "read arm counters",
            limit=None,
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND SK >= :from",
            ExpressionAttributeValues={
                ":pk": _s(_arm_pk(tenant_id, topic)),
                ":from": _s(f"H#{max(0, since_hour):010d}"),
            },
        )
        merged: dict[tuple[int, str], tuple[float, float]] = {}  # the shards of one hour and agent, summed
        for i in items:
            _, hour, agent, _ = i["SK"]["S"].split("#", 3)
            n, total = merged.get((int(hour), agent), (0.0, 0.0))
            merged[int(hour), agent] = (n + float(i["n"]["N"]), total + float(i["reward_sum"]["N"]))
        return [ArmBucket(h, a, n, total) for (h, a), (n, total) in sorted(merged.items())]

    def outcomes(self, tenant_id: str, since: float, until: float) -> Iterator[Outcome]:
        markers = self._query(
            "list outcome days",
            limit=None,
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :a AND :b",
            ExpressionAttributeValues={
                ":pk": _s(f"T#{tenant_id}#OUTDAYS"),
                ":a": _s(_day(since)),
                ":b": _s(_day(until) + "#~"),
            },
            ProjectionExpression="SK",
        )
        for day in sorted({m["SK"]["S"].split("#", 1)[0] for m in markers}):
            start = float(calendar.timegm(time.strptime(day, "%Y-%m-%d")))  # the day's 00:00 UTC
            items = self._query(
                "export outcomes",
                limit=None,
                TableName=self.table,
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :d AND GSI1SK BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":d": _s(_day_pk(tenant_id, start)),
                    ":a": _s(_day_sk(max(since, start), "")),
                    ":b": _s(_day_sk(min(until, start + 86400), "")),
                },
            )
            for i in items:
                outcome = Outcome.model_validate_json(i["body"]["S"])
                if since <= outcome.created_at < until:
                    yield outcome
