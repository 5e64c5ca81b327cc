"""The DynamoDB backend: one table, tenant-first keys (the key design is in ``storage/base.py``).

    item      PK                         SK                       other keys
    thread    T#<tenant>#TH#<thread>     META                     GSI1PK T#<tenant>#U#<user>, GSI1SK <updated>#<thread>
    message   T#<tenant>#TH#<thread>     M#<message_id>
    request   T#<tenant>#RQ#<request>    REQ
    event     T#<tenant>#RQ#<request>    E#<event_id>             (a lone event)
    events    T#<tenant>#RQ#<request>    E#~<digest of their ids> (one batch's events of the request, deflated)
    model     MODEL#<kind>               V#<version, 8 digits>    (deployment-wide: not tenant data)
    champion  MODEL#<kind>               CHAMPION

A thread and its messages share a partition, so history is one Query (newest first, ``Limit``);
a request and its events share another. GSI1 lists a user's threads, most recently updated first.
Every item can carry ``expires_at`` (the table's TTL attribute) when retention is configured.

One turn is one ``TransactWriteItems`` of four items: the request (only if absent: a retried step
writes nothing twice), the thread (created, or updated only if it belongs to the same user) and
the two messages. Concurrent turns on one thread can conflict on the thread item; DynamoDB then
cancels the transaction without applying anything, and it is retried here.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import zlib
from typing import Any

from mastra.errors import ConflictError, StorageError
from mastra.storage.base import Store, erased_conflict, erased_user_key
from mastra.storage.dynamo_table import DELETING, DynamoTable, _n, _s, condition_failed
from mastra.storage.models import (
    Erasure,
    EventRecord,
    Message,
    ModelVersion,
    RequestRecord,
    StoredVector,
    TenantConfig,
    Thread,
    ThreadSummary,
    Turn,
    WorkingMemory,
    WorkingMemoryChange,
)
from mastra.storage.response_dict import RESPONSE_DICT_V1

EVENTS_PER_ITEM = 50  # a group's events in one item (a request's batch holds ~6-10; items stay far under 400 KB)
CONFLICT_RETRIES = 6  # transaction conflicts between concurrent turns of one thread
_RETRYABLE_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


def _thread_pk(tenant: str, thread: str) -> str:
    return f"T#{tenant}#TH#{thread}"


def _request_pk(tenant: str, request: str) -> str:
    return f"T#{tenant}#RQ#{request}"


def _model_pk(kind: str) -> str:
    return f"MODEL#{kind}"


def _version_sk(version: int) -> str:
    return f"V#{version:08d}"


def _erased_pk(tenant: str, user_key: str) -> str:
    return f"T#{tenant}#ERASED#{user_key}"


def _user_pk(tenant: str, user: str) -> str:
    return f"T#{tenant}#U#{user}"


def _recency(updated_at: float, thread_id: str) -> str:
    """GSI1 sort key: sorts by update time (fixed width), then thread id."""
    return f"{updated_at:017.6f}#{thread_id}"


def _deflate_response(response: dict[str, Any]) -> bytes:
    """The response as JSON deflated against ``RESPONSE_DICT_V1`` (stored as ``response_z1``)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, RESPONSE_DICT_V1)
    return z.compress(json.dumps(response, separators=(",", ":")).encode()) + z.flush()


def _response_of(item: dict[str, Any]) -> dict[str, Any]:
    """A request item's response (deflated JSON: against the preset dictionary, or alone before it)."""
    if "response_z1" in item:
        z = zlib.decompressobj(15, RESPONSE_DICT_V1)
        return json.loads(z.decompress(item["response_z1"]["B"]) + z.flush())  # type: ignore[no-any-return]
    return json.loads(zlib.decompress(item["response_z"]["B"]))  # type: ignore[no-any-return]


def _expiry(expires_at: float | None) -> dict[str, Any]:
    return {} if expires_at is None else {"expires_at": _n(int(expires_at))}


def _expires(item: dict[str, Any]) -> float | None:
    return float(item["expires_at"]["N"]) if "expires_at" in item else None


class DynamoDBStore(DynamoTable, Store):
    backend = "dynamodb"

    def __init__(self, table_name: str, *, client: Any | None = None, retention_days: float | None = None) -> None:
        super().__init__(table_name, client=client)
        self.default_retention_days = retention_days

    # ---- writes --------------------------------------------------------------------------------
    def _write_turn(self, turn: Turn, expires_at: float | None) -> bool:
        req, user, bot = turn.request, turn.user_message, turn.assistant_message
        now = bot.created_at
        expiry = _expiry(expires_at)
        request_item = {
            "PK": _s(_request_pk(req.tenant_id, req.request_id)),
            "SK": _s("REQ"),
            "user_id": _s(req.user_id),
            "thread_id": _s(req.thread_id),
            "created_at": _n(req.created_at),
            # Compressed: the response with its trace is ~3.8 KB of JSON, ~1.3 KB deflated alone and
            # ~0.65 KB deflated against a preset dictionary of its structure, and a transactional
            # write costs 2 WRU per started KB: the record stays under 1 KB (2 WRU, not 4).
            "response_z1": {"B": _deflate_response(req.response)},
            **expiry,
        }
        set_expiry = ", expires_at = :e" if expiry else ""
        thread_update = {
            "TableName": self.table,
            "Key": {"PK": _s(_thread_pk(req.tenant_id, req.thread_id)), "SK": _s("META")},
            "UpdateExpression": "SET user_id = if_not_exists(user_id, :u), created_at = if_not_exists(created_at, :c), "
            "updated_at = :n, message_count = if_not_exists(message_count, :zero) + :two, "
            "GSI1PK = :g, GSI1SK = :r" + set_expiry + ("" if expiry else " REMOVE expires_at"),
            "ConditionExpression": "attribute_not_exists(PK) OR user_id = :u",
            "ExpressionAttributeValues": {
                ":u": _s(req.user_id),
                ":c": _n(user.created_at),
                ":n": _n(now),
                ":zero": _n(0),
                ":two": _n(2),
                ":g": _s(_user_pk(req.tenant_id, req.user_id)),
                ":r": _s(_recency(now, req.thread_id)),
                **({":e": expiry["expires_at"]} if expiry else {}),
            },
        }
        absent = "attribute_not_exists(PK)"
        items = [
            {"Put": {"TableName": self.table, "Item": request_item, "ConditionExpression": absent}},
            {"Update": thread_update},
            {"Put": {"TableName": self.table, "Item": self._message_item(user, expiry), "ConditionExpression": absent}},
            {"Put": {"TableName": self.table, "Item": self._message_item(bot, expiry), "ConditionExpression": absent}},
            {  # refused if the user was erased after this request arrived (see Store.erase_user)
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": {"PK": _s(_erased_pk(req.tenant_id, erased_user_key(req.user_id))), "SK": _s("ERASED")},
                    "ConditionExpression": "attribute_not_exists(PK) OR erased_at < :received",
                    "ExpressionAttributeValues": {":received": _n(req.created_at)},
                }
            },
        ]
        for attempt in range(CONFLICT_RETRIES + 1):
            outcome = self._transact(items, req.thread_id, req.user_id)
            if outcome != "conflict":
                return outcome == "written"
            # Another turn of the thread committed first; nothing was applied. Back off, try again.
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise StorageError(f"dynamodb: thread {req.thread_id!r} stayed busy; try again", details={"table": self.table})

    def _transact(self, items: list[dict[str, Any]], thread_id: str, user_id: str) -> str:
        """One attempt: ``written``, ``exists`` (already stored) or ``conflict`` (retry)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.transact_write_items(TransactItems=items)
            return "written"
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise self._failure("record the turn", exc) from exc
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return "exists"
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                raise ConflictError(
                    f"thread {thread_id!r} belongs to another user", details={"thread_id": thread_id}
                ) from None
            if reasons[4:5] == ["ConditionalCheckFailed"]:
                raise erased_conflict(user_id) from None
            if _RETRYABLE_REASONS & set(reasons):
                return "conflict"
            raise self._failure("record the turn", exc) from exc
        except BotoCoreError as exc:
            raise self._failure("record the turn", exc) from exc

    # ---- the model registry --------------------------------------------------------------------
    def _insert_model_version(self, version: ModelVersion, number: int | None) -> ModelVersion:

        for attempt in range(CONFLICT_RETRIES + 1):
            n = number if number is not None else self._last_version(version.kind) + 1
            stored = version.model_copy(update={"version": n})
            item = {
                "PK": _s(_model_pk(stored.kind)),
                "SK": _s(_version_sk(n)),
                "status": _s(stored.status),
                "body": _s(stored.model_dump_json()),
            }
            try:
                with self._errors("register a model version"):
                    self.client.put_item(
                        TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(PK)"
                    )
                return stored
            except StorageError as exc:
                if not condition_failed(exc):  # not "the number is taken": a real failure
                    raise
                if number is not None:
                    raise ConflictError(f"{version.kind} model version {n} exists", details={"version": n}) from None
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # another registration took n: next one
        raise StorageError(f"dynamodb: could not number a new {version.kind} version", details={"table": self.table})

    def _last_version(self, kind: str) -> int:
        items = self._query(
            "number a model version",
            limit=1,
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :v)",
            ExpressionAttributeValues={":pk": _s(_model_pk(kind)), ":v": _s("V#")},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        return int(items[0]["SK"]["S"][2:]) if items else 0

    def get_model_version(self, kind: str, version: int) -> ModelVersion | None:
        item = self._get_item("read a model version", _model_pk(kind), _version_sk(version))
        return None if item is None else self._model_version(item)

    def _model_versions(self, kind: str) -> list[ModelVersion]:
        items = self._query(
            "list model versions",
            limit=None,
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :v)",
            ExpressionAttributeValues={":pk": _s(_model_pk(kind)), ":v": _s("V#")},
        )
        return [self._model_version(i) for i in items]

    @staticmethod
    def _model_version(item: dict[str, Any]) -> ModelVersion:
        return ModelVersion.model_validate_json(item["body"]["S"]).model_copy(update={"status": item["status"]["S"]})

    def _champion_number(self, kind: str) -> int | None:
        item = self._get_item("read the champion", _model_pk(kind), "CHAMPION", consistent=True)
        return None if item is None else int(item["version"]["N"])

    def _swap_champion(self, kind: str, new: int, old: int | None) -> None:
        from botocore.exceptions import ClientError

        pk = _s(_model_pk(kind))
        pointer: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"PK": pk, "SK": _s("CHAMPION")},
            "UpdateExpression": "SET #v = :new, updated_at = :t",
            "ExpressionAttributeNames": {"#v": "version"},  # names as reserved words could ever clash
            "ExpressionAttributeValues": {":new": _n(new), ":t": _n(time.time())},
        }
        if old is None:
            pointer["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            pointer["ConditionExpression"] = "#v = :old"
            pointer["ExpressionAttributeValues"][":old"] = _n(old)

        def status(version: int, value: str) -> dict[str, Any]:
            return {
                "Update": {
                    "TableName": self.table,
                    "Key": {"PK": pk, "SK": _s(_version_sk(version))},
                    "UpdateExpression": "SET #s = :s",
                    "ExpressionAttributeNames": {"#s": "status"},  # STATUS is a reserved word
                    "ExpressionAttributeValues": {":s": _s(value)},
                    "ConditionExpression": "attribute_exists(PK)",
                }
            }

        items = [{"Update": pointer}, status(new, "champion")] + ([status(old, "retired")] if old is not None else [])
        try:
            with self._errors("promote a model version"):
                self.client.transact_write_items(TransactItems=items)
        except StorageError as exc:
            cause = exc.__cause__
            reasons = (
                [r.get("Code") for r in cause.response.get("CancellationReasons", [])]
                if isinstance(cause, ClientError)
                else []
            )
            if reasons[:1] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
                raise ConflictError(
                    f"the {kind} champion changed during the promotion", details={"kind": kind}
                ) from None
            raise

    def _write_events(self, events: list[EventRecord]) -> None:
        """BatchWriteItem, 25 items at a time: one item per request of the batch (its events, as
        one deflated JSON list: a batch's events repeat their ids and names, so several ~0.6 KB
        events fit one ~1 KB item, 1 WRU instead of one per event). A lone event keeps an item of
        its own, ``E#<event id>``. A group's key is a digest of its events' ids (``E#~<80 bits of
        SHA-256>``: short, as the key is billed too), so a re-delivered batch overwrites itself,
        and an event that also arrives in another group is stored twice with the same content (an
        event id always carries the same content) and read once."""
        unique = {(e.tenant_id, e.event_id): e for e in events}
        groups: dict[tuple[str, str], list[EventRecord]] = {}
        for e in sorted(unique.values(), key=lambda e: e.event_id):
            groups.setdefault((e.tenant_id, e.request_id), []).append(e)
        requests = []
        for (tenant, request), group in groups.items():
            for start in range(0, len(group), EVENTS_PER_ITEM):
                chunk = group[start : start + EVENTS_PER_ITEM]
                expires = max((self.expiry(tenant, e.occurred_at) or 0.0) for e in chunk) or None
                item = {"PK": _s(_request_pk(tenant, request)), **_expiry(expires)}
                if len(chunk) == 1:
                    e = chunk[0]
                    item |= {
                        "SK": _s(f"E#{e.event_id}"),
                        "type": _s(e.type),
                        "occurred_at": _n(e.occurred_at),
                        "version": _n(e.version),
                        "body": _s(json.dumps(e.body, separators=(",", ":"))),
                    }
                else:
                    ids = [e.event_id for e in chunk]
                    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]
                    rows = [[e.event_id, e.type, e.version, e.occurred_at, e.body] for e in chunk]
                    item |= {
                        "SK": _s(f"E#~{digest}"),
                        "events_z": {"B": zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 9)},
                    }
                requests.append({"PutRequest": {"Item": item}})
        self._batch_write("record events", requests)

    @staticmethod
    def _event_records(tenant_id: str, request_id: str, item: dict[str, Any]) -> list[EventRecord]:
        """The events an ``E#`` item holds (one, or a deflated group)."""
        if "events_z" in item:
            rows = json.loads(zlib.decompress(item["events_z"]["B"]))
            return [
                EventRecord(
                    tenant_id=tenant_id,
                    request_id=request_id,
                    event_id=event_id,
                    type=kind,
                    version=version,
                    occurred_at=occurred_at,
                    body=body,
                )
                for event_id, kind, version, occurred_at, body in rows
            ]
        return [
            EventRecord(
                tenant_id=tenant_id,
                request_id=request_id,
                event_id=item["SK"]["S"][2:],
                type=item["type"]["S"],
                version=int(item["version"]["N"]),
                occurred_at=float(item["occurred_at"]["N"]),
                body=json.loads(item["body"]["S"]),
            )
        ]

    def _events_of(self, tenant_id: str, request_id: str) -> list[EventRecord]:
        items = self._query(
            "read events",
            limit=None,
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :e)",
            ExpressionAttributeValues={":pk": _s(_request_pk(tenant_id, request_id)), ":e": _s("E#")},
        )
        found = {e.event_id: e for i in items for e in self._event_records(tenant_id, request_id, i)}
        return list(found.values())

    def _message_item(self, m: Message, expiry: dict[str, Any]) -> dict[str, Any]:
        item = {
            "PK": _s(_thread_pk(m.tenant_id, m.thread_id)),
            "SK": _s(f"M#{m.message_id}"),
            "role": _s(m.role),
            "content": _s(m.content),
            "user_id": _s(m.user_id),
            "request_id": _s(m.request_id),
            "created_at": _n(m.created_at),
            # GSI2: the user's messages, for recall across threads and for erasure.
            "GSI2PK": _s(_user_pk(m.tenant_id, m.user_id)),
            "GSI2SK": _s(m.message_id),
            **expiry,
        }
        if m.agent_id is not None:
            item["agent_id"] = _s(m.agent_id)
        if m.embedding is not None:
            item["emb"] = {"B": m.embedding}
        if m.content_ref is not None:
            item["content_ref"] = _s(m.content_ref)
        return item

    # ---- reads ---------------------------------------------------------------------------------
    def get_thread(self, tenant_id: str, thread_id: str) -> Thread | None:
        item = self._get_item("read a thread", _thread_pk(tenant_id, thread_id), "META", consistent=True)
        return self._thread(tenant_id, thread_id, item) if item else None

    def _request(self, tenant_id: str, request_id: str) -> RequestRecord | None:
        item = self._get_item("read a request", _request_pk(tenant_id, request_id), "REQ")
        if not item:
            return None
        return RequestRecord(
            tenant_id=tenant_id,
            request_id=request_id,
            user_id=item["user_id"]["S"],
            thread_id=item["thread_id"]["S"],
            created_at=float(item["created_at"]["N"]),
            response=_response_of(item),
        )

    def _query_messages(
        self, tenant_id: str, thread_id: str, *, newest_first: bool, limit: int, after: str | None
    ) -> list[Message]:
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :m)",
            "ExpressionAttributeValues": {":pk": _s(_thread_pk(tenant_id, thread_id)), ":m": _s("M#")},
            "ScanIndexForward": not newest_first,
            "Limit": limit,
            "ConsistentRead": True,  # the next request of a thread must see the last turn
        }
        if after:
            params["ExclusiveStartKey"] = {"PK": _s(_thread_pk(tenant_id, thread_id)), "SK": _s(f"M#{after}")}
        items = self._query("read messages", limit=limit, **params)
        return [self._message(tenant_id, thread_id, i) for i in items]

    def _latest_messages(self, tenant_id: str, thread_id: str, limit: int) -> list[Message]:
        return self._query_messages(tenant_id, thread_id, newest_first=True, limit=limit, after=None)

    def _messages_after(self, tenant_id: str, thread_id: str, cursor: str | None, limit: int) -> list[Message]:
        return self._query_messages(tenant_id, thread_id, newest_first=False, limit=limit, after=cursor)

    def _threads_of(self, tenant_id: str, user_id: str, cursor: str | None, limit: int) -> list[Thread]:
        condition = "GSI1PK = :g"
        values: dict[str, Any] = {":g": _s(_user_pk(tenant_id, user_id))}
        if cursor:
            updated, thread = self._parse_thread_cursor(cursor)
            condition += " AND GSI1SK < :before"
            values[":before"] = _s(_recency(updated, thread))
        items = self._query(
            "list threads",
            limit=limit,
            TableName=self.table,
            IndexName="GSI1",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=limit,
        )
        return [self._thread(tenant_id, i["PK"]["S"].split("#TH#", 1)[1], i) for i in items]

    @staticmethod
    def _message(tenant_id: str, thread_id: str, item: dict[str, Any]) -> Message:
        return Message(
            tenant_id=tenant_id,
            thread_id=thread_id,
            message_id=item["SK"]["S"][2:],
            role=item["role"]["S"],
            content=item["content"]["S"],
            user_id=item["user_id"]["S"],
            request_id=item["request_id"]["S"],
            agent_id=item["agent_id"]["S"] if "agent_id" in item else None,
            created_at=float(item["created_at"]["N"]),
            expires_at=_expires(item),
            content_ref=item["content_ref"]["S"] if "content_ref" in item else None,
            embedding=item["emb"]["B"] if "emb" in item else None,
        )

    @staticmethod
    def _thread(tenant_id: str, thread_id: str, item: dict[str, Any]) -> Thread:
        return Thread(
            tenant_id=tenant_id,
            thread_id=thread_id,
            user_id=item["user_id"]["S"],
            created_at=float(item["created_at"]["N"]),
            updated_at=float(item["updated_at"]["N"]),
            message_count=int(item["message_count"]["N"]),
            expires_at=_expires(item),
        )

    # ---- memory ----------------------------------------------------------------------------------
    def _vectors(self, tenant_id: str, user_id: str, thread_id: str | None, now: float) -> list[StoredVector]:
        if thread_id is not None:  # the thread's partition: strongly consistent
            items = self._query(
                "read embeddings",
                limit=None,
                TableName=self.table,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :m)",
                ExpressionAttributeValues={":pk": _s(_thread_pk(tenant_id, thread_id)), ":m": _s("M#")},
                ProjectionExpression="SK, emb, expires_at, user_id",
                ConsistentRead=True,
            )
            found = [(thread_id, i["SK"]["S"][2:], i) for i in items if i.get("user_id", {}).get("S") == user_id]
        else:  # GSI2, every thread of the user (eventually consistent, like every GSI)
            items = self._query(
                "read embeddings",
                limit=None,
                TableName=self.table,
                IndexName="GSI2",
                KeyConditionExpression="GSI2PK = :u",
                ExpressionAttributeValues={":u": _s(_user_pk(tenant_id, user_id))},
                ProjectionExpression="PK, GSI2SK, emb, expires_at",
            )
            found = [(i["PK"]["S"].split("#TH#", 1)[1], i["GSI2SK"]["S"], i) for i in items]
        return [StoredVector(t, m, i["emb"]["B"]) for t, m, i in found if "emb" in i and (_expires(i) or now + 1) > now]

    def _messages_by_id(self, tenant_id: str, thread_id: str, message_ids: list[str]) -> list[Message]:
        pk = _s(_thread_pk(tenant_id, thread_id))
        out: list[Message] = []
        for start in range(0, len(message_ids), 100):
            keys = [{"PK": pk, "SK": _s(f"M#{m}")} for m in message_ids[start : start + 100]]
            pending: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            for attempt in range(CONFLICT_RETRIES + 1):
                with self._errors("read messages"):
                    page = self.client.batch_get_item(RequestItems=pending)
                out += [self._message(tenant_id, thread_id, i) for i in page.get("Responses", {}).get(self.table, [])]
                pending = page.get("UnprocessedKeys") or {}
                if not pending:
                    break
                if attempt == CONFLICT_RETRIES:
                    raise StorageError("dynamodb: messages left unread after retries", details={"table": self.table})
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        return out

    def _replace_message(self, m: Message) -> bool:

        sets, removes = ["content = :c"], []
        values: dict[str, Any] = {":c": _s(m.content)}
        for attr, value in (
            ("content_ref", m.content_ref and _s(m.content_ref)),
            ("emb", m.embedding and {"B": m.embedding}),
        ):
            if value:
                sets.append(f"{attr} = :{attr}")
                values[f":{attr}"] = value
            else:
                removes.append(attr)
        try:
            with self._errors("edit a message"):
                self.client.update_item(
                    TableName=self.table,
                    Key={"PK": _s(_thread_pk(m.tenant_id, m.thread_id)), "SK": _s(f"M#{m.message_id}")},
                    UpdateExpression="SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else ""),
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues=values,
                )
            return True
        except StorageError as exc:
            if condition_failed(exc):
                return False
            raise

    def _messages_before(self, tenant_id: str, thread_id: str, message_id: str, limit: int) -> list[Message]:
        items = self._query(
            "read messages",
            limit=limit + 1,  # BETWEEN includes the message itself
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": _s(_thread_pk(tenant_id, thread_id)),
                ":lo": _s("M#"),
                ":hi": _s(f"M#{message_id}"),
            },
            ScanIndexForward=False,
            Limit=limit + 1,
            ConsistentRead=True,
        )
        return [self._message(tenant_id, thread_id, i) for i in items if i["SK"]["S"] != f"M#{message_id}"][:limit]

    def _working_memory(self, tenant_id: str, user_id: str) -> WorkingMemory | None:
        # Consistent: a merge must start from the latest version.
        item = self._get_item("read working memory", _user_pk(tenant_id, user_id), "WM", consistent=True)
        if item is None:
            return None
        return WorkingMemory(
            tenant_id=tenant_id,
            user_id=user_id,
            version=int(item["version"]["N"]),
            fields=json.loads(item["fields"]["S"]),
            updated_at=float(item["updated_at"]["N"]),
            expires_at=_expires(item),
        )

    def _write_working_memory(self, new: WorkingMemory, change: WorkingMemoryChange, expected: int) -> bool:
        from botocore.exceptions import ClientError

        pk = _s(_user_pk(new.tenant_id, new.user_id))
        expiry = _expiry(new.expires_at)
        profile: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                "PK": pk,
                "SK": _s("WM"),
                "version": _n(new.version),
                "fields": _s(json.dumps(new.fields, separators=(",", ":"))),
                "updated_at": _n(new.updated_at),
                **expiry,
            },
        }
        if expected == 0:
            profile["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            profile["ConditionExpression"] = "#v = :expected"
            profile["ExpressionAttributeNames"] = {"#v": "version"}
            profile["ExpressionAttributeValues"] = {":expected": _n(expected)}
        history = {
            "TableName": self.table,
            "Item": {"PK": pk, "SK": _s(f"WM#{change.version:08d}"), "body": _s(change.model_dump_json()), **expiry},
        }
        try:
            with self._errors("write working memory"):
                self.client.transact_write_items(TransactItems=[{"Put": profile}, {"Put": history}])
            return True
        except StorageError as exc:
            cause = exc.__cause__
            reasons = (
                [r.get("Code") for r in cause.response.get("CancellationReasons", [])]
                if isinstance(cause, ClientError)
                else []
            )
            if "ConditionalCheckFailed" in reasons or _RETRYABLE_REASONS & set(reasons):
                return False  # another writer got there first (or the item was busy): merge again
            raise

    def _working_memory_changes(self, tenant_id: str, user_id: str) -> list[WorkingMemoryChange]:
        items = self._query(
            "read working memory history",
            limit=None,
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :w)",
            ExpressionAttributeValues={":pk": _s(_user_pk(tenant_id, user_id)), ":w": _s("WM#")},
            ConsistentRead=True,
        )
        now = self.clock()
        return [
            WorkingMemoryChange.model_validate_json(i["body"]["S"]) for i in items if (_expires(i) or now + 1) > now
        ]

    def _summary(self, tenant_id: str, thread_id: str) -> ThreadSummary | None:
        item = self._get_item("read a summary", _thread_pk(tenant_id, thread_id), "SUMMARY", consistent=True)
        return None if item is None else ThreadSummary.model_validate_json(item["body"]["S"])

    def _write_summary(self, summary: ThreadSummary) -> bool:

        params: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                "PK": _s(_thread_pk(summary.tenant_id, summary.thread_id)),
                "SK": _s("SUMMARY"),
                "version": _n(summary.version),
                "body": _s(summary.model_dump_json()),
                **_expiry(summary.expires_at),
            },
        }
        if summary.version == 1:
            params["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            params["ConditionExpression"] = "#v = :prev"
            params["ExpressionAttributeNames"] = {"#v": "version"}
            params["ExpressionAttributeValues"] = {":prev": _n(summary.version - 1)}
        try:
            with self._errors("write a summary"):
                self.client.put_item(**params)
            return True
        except StorageError as exc:
            if condition_failed(exc):
                return False
            raise

    def get_tenant_config(self, tenant_id: str) -> TenantConfig | None:
        item = self._get_item("read tenant settings", f"T#{tenant_id}", "CONFIG")
        return None if item is None else TenantConfig.model_validate_json(item["body"]["S"])

    def _put_tenant_config(self, config: TenantConfig) -> None:
        with self._errors("write tenant settings"):
            self.client.put_item(
                TableName=self.table,
                Item={"PK": _s(f"T#{config.tenant_id}"), "SK": _s("CONFIG"), "body": _s(config.model_dump_json())},
            )

    # ---- deletion ----------------------------------------------------------------------------------
    def _partition(self, pk: str, what: str) -> list[dict[str, Any]]:
        return self._query(
            what,
            limit=None,
            TableName=self.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": _s(pk)},
            ConsistentRead=True,
        )

    def _delete_thread(self, tenant_id: str, thread_id: str) -> Erasure:
        """The thread's record is first marked ``deleting`` (outcome writes on it are refused from
        then on), then each of its requests' partitions go (record, events, feedback, outcome),
        then the thread's partition (meta, messages with their embeddings, summary). Requests go
        first: their ids are read from the messages, so a run that stops half-way is finished by
        running it again."""
        out = Erasure()
        items = self._partition(_thread_pk(tenant_id, thread_id), "read a thread")
        if any(i["SK"]["S"] == "META" for i in items):
            self._mark_deleting(tenant_id, thread_id)
        requests = sorted({i["request_id"]["S"] for i in items if "request_id" in i})
        for request_id in requests:
            found = self._partition(_request_pk(tenant_id, request_id), "read a request")
            out.requests += sum(1 for i in found if i["SK"]["S"] == "REQ")
            events = [i for i in found if i["SK"]["S"].startswith("E#")]
            out.events += len({e.event_id for i in events for e in self._event_records(tenant_id, request_id, i)})
            out.other += sum(1 for i in found if i["SK"]["S"] != "REQ" and not i["SK"]["S"].startswith("E#"))
            self._delete_keys("delete a request", found)
        # The summary first and the thread record last: a run that stops half-way leaves the record
        # (found again by the next run, and by erasure through GSI1), never an orphaned summary.
        items.sort(key=lambda i: (i["SK"]["S"] != "SUMMARY", i["SK"]["S"] == "META"))
        for i in items:
            sk = i["SK"]["S"]
            if sk.startswith("M#"):
                out.messages += 1
            elif sk == "META":
                out.threads += 1
            elif sk == "SUMMARY":
                out.summaries += 1
            else:
                out.other += 1
        self._delete_keys("delete a thread", items)
        return out

    def _mark_deleting(self, tenant_id: str, thread_id: str) -> None:
        """Before any request partition goes: from now on an outcome write on the thread is refused."""
        try:
            with self._errors("mark a thread deleted"):
                self.client.update_item(
                    TableName=self.table,
                    Key={"PK": _s(_thread_pk(tenant_id, thread_id)), "SK": _s("META")},
                    UpdateExpression="SET #d = :t",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeNames={"#d": DELETING},
                    ExpressionAttributeValues={":t": {"BOOL": True}},
                )
        except StorageError as exc:
            if not condition_failed(exc):  # already gone: nothing left to refuse outcomes
                raise

    def _mark_erased(self, tenant_id: str, user_key: str, at: float) -> None:
        with self._errors("mark an erasure"):
            self.client.put_item(
                TableName=self.table,
                Item={"PK": _s(_erased_pk(tenant_id, user_key)), "SK": _s("ERASED"), "erased_at": _n(at)},
            )

    def _erase_user(self, tenant_id: str, user_id: str) -> Erasure:
        out = Erasure()
        user_pk = _user_pk(tenant_id, user_id)
        # The indexes are eventually consistent: go round until both are empty (a turn written just
        # before the erasure may reach an index a moment later).
        for _ in range(5):
            threads = {
                i["PK"]["S"].split("#TH#", 1)[1]
                for index, key in (("GSI1", "GSI1PK"), ("GSI2", "GSI2PK"))
                for i in self._query(
                    "find a user's threads",
                    limit=None,
                    TableName=self.table,
                    IndexName=index,
                    KeyConditionExpression=f"{key} = :u",
                    ExpressionAttributeValues={":u": _s(user_pk)},
                    ProjectionExpression="PK",
                )
            }
            if not threads:
                break
            for thread_id in sorted(threads):
                out = _add(out, self._delete_thread(tenant_id, thread_id))
        own = self._partition(user_pk, "read a user's records")
        out.working_memory += sum(1 for i in own if i["SK"]["S"] == "WM" or i["SK"]["S"].startswith("WM#"))
        out.other += sum(1 for i in own if not (i["SK"]["S"] == "WM" or i["SK"]["S"].startswith("WM#")))
        self._delete_keys("erase a user's records", own)
        return out


def _add(a: Erasure, b: Erasure) -> Erasure:
    return Erasure(**{k: getattr(a, k) + getattr(b, k) for k in Erasure.model_fields})
