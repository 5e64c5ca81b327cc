"""Stats in the single DynamoDB table (tenant first, no Scan):

    item     PK                             SK                                  attributes
    cell     T#<tenant>#STATS#<yyyy-mm-dd>  <hour, 10 digits>#<[agent,prompt,topic] JSON>   c_<counter> (numbers)
    marker   T#<tenant>#STATSEEN#<request>  SEEN                                ids (string set), expires_at (TTL)

An event counts the same in its agent's, its topic's and its prompt version's bucket: those three
buckets are one item, a cell (the keys in its sort key), so a request's update writes one item,
not three. A day of a tenant is one partition: a window of any dimension is one ``Query`` per day
(``SK BETWEEN``), its cells summed by that dimension's key (a cell without it, e.g. a prompt-less
one read by prompt, is skipped). Counters are ``ADD``-ed. An update is one ``TransactWriteItems``:
its marker and its cells' ``ADD``s; a batch is first tried as one transaction (each cell once,
the events' additions summed), and only if one of its events was seen already (a redelivery)
event by event.

The markers of one request's events are one item (an event id is ``<request id>:<rest>``: the item
of ``<request id>`` holds ``:<rest>`` in its set; an id without ``:`` has an item of its own,
holding ``.``): the transaction adds the batch's ids only if the set holds none of them. A
transactional write costs 2 WRU per item (under 1 KB), so a batch costs one marker per request it
touches (usually one, two on a follow-up: the previous answer's reward) and one cell per (hour,
agent, prompt, topic), not one marker per event and one item per bucket.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from mastra.errors import StorageError
from mastra.stats.models import DIMENSIONS, HOUR, Bucket, BucketKey, Dimension, Update
from mastra.stats.store import MARKER_TTL_S, StatsStore
from mastra.storage.dynamo_table import DynamoTable, _n, _s

MAX_ITEMS = 100  # TransactWriteItems' limit
CONFLICT_RETRIES = 6


#: A cell: the keys one event counts under, in ``DIMENSIONS`` order (agent, prompt, topic; None: not
#: counted in that dimension).
Cell = tuple[str | None, str | None, str | None]


def _day(hour: int) -> str:
    return datetime.fromtimestamp(hour, UTC).strftime("%Y-%m-%d")


def _pk(tenant: str, hour: int) -> str:
    return f"T#{tenant}#STATS#{_day(hour)}"


def _sk(hour: int, cell: Cell) -> str:
    return f"{hour:010d}#" + json.dumps(cell, separators=(",", ":"), ensure_ascii=False)


def _cells(u: Update) -> list[tuple[int, Cell, dict[str, float]]]:
    """An update's cells: the buckets of one hour that get the same additions, one per dimension,
    make one cell (the usual case: an event counts the same in its agent, topic and prompt);
    any other bucket is a cell of its own."""
    out: list[tuple[int, Cell, dict[str, float]]] = []
    by_hour: dict[int, list[BucketKey]] = {}
    for b in u.counters:
        by_hour.setdefault(b.hour, []).append(b)
    for hour, keys in by_hour.items():
        add = u.counters[keys[0]]
        if len({b.dim for b in keys}) == len(keys) and all(u.counters[b] == add for b in keys):
            cell: list[str | None] = [None, None, None]
            for b in keys:
                cell[DIMENSIONS.index(b.dim)] = b.key
            out.append((hour, (cell[0], cell[1], cell[2]), add))
        else:
            for b in keys:
                one: list[str | None] = [None, None, None]
                one[DIMENSIONS.index(b.dim)] = b.key
                out.append((hour, (one[0], one[1], one[2]), u.counters[b]))
    return out


def _reasons(exc: StorageError) -> list[str]:
    from botocore.exceptions import ClientError

    cause = exc.__cause__
    if not isinstance(cause, ClientError):
        return []
    return [str(r.get("Code")) for r in cause.response.get("CancellationReasons", [])] or [
        str(cause.response.get("Error", {}).get("Code"))
    ]


class DynamoDBStatsStore(DynamoTable, StatsStore):
    backend = "dynamodb"

    @classmethod
    def sharing(cls, table: DynamoTable) -> DynamoDBStatsStore:
        """A stats store on another store's table and client (the turn store's)."""
        return cls(table.table, client=table._client)

    # ---- writes ------------------------------------------------------------------------------------
    def _markers(self, updates: list[Update]) -> list[dict[str, Any]]:
        """One marker item per (tenant, request) of the updates: its ids (a set) gain theirs, only
        if it holds none of them yet."""
        seen: dict[tuple[str, str], list[str]] = {}
        for u in updates:
            scope, colon, rest = u.event_id.partition(":")
            seen.setdefault((u.tenant_id, scope), []).append(colon + rest or ".")  # "a" -> ".", "a:b" -> ":b"
        # Pushed to write time + TTL (never back): every id in the set outlives its redeliveries.
        expires = int(max(time.time(), *(u.at for u in updates)) + MARKER_TTL_S)
        out = []
        for (tenant, scope), ids in seen.items():
            values: dict[str, Any] = {f":i{i}": _s(x) for i, x in enumerate(ids)}
            out.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": {"PK": _s(f"T#{tenant}#STATSEEN#{scope}"), "SK": _s("SEEN")},
                        "UpdateExpression": "ADD ids :ids SET expires_at = :e",
                        "ConditionExpression": " AND ".join(f"NOT contains(ids, :i{i})" for i in range(len(ids))),
                        "ExpressionAttributeValues": values | {":ids": {"SS": ids}, ":e": _n(expires)},
                    }
                }
            )
        return out

    def _add(self, tenant: str, hour: int, cell: Cell, add: dict[str, float]) -> dict[str, Any]:
        names = {f"#c{i}": f"c_{name}" for i, name in enumerate(add)}
        values: dict[str, Any] = {f":v{i}": _n(float(v)) for i, v in enumerate(add.values())}
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"PK": _s(_pk(tenant, hour)), "SK": _s(_sk(hour, cell))},
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(add))),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def _items(self, updates: Iterable[Update]) -> list[dict[str, Any]]:
        """Markers, then each cell item once with the updates' additions summed."""
        updates = list(updates)
        summed: dict[tuple[str, int, Cell], dict[str, float]] = {}
        for u in updates:
            for hour, cell, add in _cells(u):
                into = summed.setdefault((u.tenant_id, hour, cell), {})
                for name, value in add.items():
                    into[name] = into.get(name, 0.0) + value
        return self._markers(updates) + [self._add(t, h, c, add) for (t, h, c), add in summed.items()]

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        """Write all or nothing; False if a marker existed (applied before). Conflicts are retried."""
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                with self._errors("update stats"):
                    self.client.transact_write_items(TransactItems=items)
                return True
            except StorageError as exc:
                reasons = _reasons(exc)
                if "ConditionalCheckFailed" in reasons or "ConditionalCheckFailedException" in reasons:
                    return False
                if "TransactionConflict" not in reasons or attempt == CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        return False  # pragma: no cover - the loop returns or raises

    def _apply(self, updates: list[Update]) -> list[Update]:
        items = self._items(updates)
        if len(updates) > 1 and len(items) <= MAX_ITEMS and self._transact(items):
            return updates  # the common case: a new batch, one transaction
        return [u for u in updates if self._transact(self._items([u]))]

    # ---- reads -------------------------------------------------------------------------------------
    def buckets(self, tenant_id: str, dim: Dimension, since_hour: int, until_hour: int) -> list[Bucket]:
        at = DIMENSIONS.index(dim)
        out: dict[tuple[str, int], Bucket] = {}
        day = since_hour - since_hour % 86400
        while day <= until_hour:
            lo, hi = max(since_hour, day), min(until_hour, day + 86400 - HOUR)
            items = self._query(
                "read stats",
                limit=None,
                TableName=self.table,
                KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":pk": _s(_pk(tenant_id, day)),
                    ":lo": _s(f"{lo:010d}#"),
                    ":hi": _s(f"{hi:010d}#\uffff"),
                },
            )
            for item in items:
                hour, cell = item["SK"]["S"].split("#", 1)
                key = json.loads(cell)[at]
                if key is None:
                    continue
                bucket = out.setdefault((key, int(hour)), Bucket(tenant_id, dim, key, int(hour)))
                for name, v in item.items():
                    if name.startswith("c_"):
                        bucket.counters[name[2:]] = bucket.counters.get(name[2:], 0.0) + float(v["N"])
            day += 86400
        return list(out.values())
