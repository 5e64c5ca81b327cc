"""What every DynamoDB-backed store shares: the table, its client, error mapping and paged queries.

A store class mixes this in (``class DynamoDBStore(DynamoTable, Store)``), so the turn store, the
memory and the prompt registry speak to one table the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mastra import aws
from mastra.errors import StorageError, StorageRejectedError

# Errors no retry can fix: reported as StorageRejectedError, which Step Functions does not retry.
_REJECTED = {
    "ValidationException",
    "ResourceNotFoundException",
    "AccessDeniedException",
    "ItemCollectionSizeLimitExceededException",
}

#: The thread record's attribute set when its deletion begins: outcome writes are refused from then
#: on (see ``feedback/dynamodb.py``), so none lands in a request partition already deleted.
DELETING = "deleting"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": repr(value) if isinstance(value, float) else str(value)}


def condition_failed(exc: StorageError) -> bool:
    """Whether a failed write was refused by its ``ConditionExpression`` (not an outage)."""
    from botocore.exceptions import ClientError

    cause = exc.__cause__
    return isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == (
        "ConditionalCheckFailedException"
    )


class DynamoTable:
    def __init__(self, table_name: str, *, client: Any | None = None) -> None:
        self.table = table_name
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("dynamodb")

    def _failure(self, action: str, exc: Exception) -> StorageError:
        from botocore.exceptions import ClientError

        cls: type[StorageError] = StorageError
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code')}: {error.get('Message')}"
            cancelled = [str(r.get("Code")) for r in exc.response.get("CancellationReasons", [])]
            if cancelled:
                reason += f" (item reasons: {', '.join(cancelled)})"
            if error.get("Code") in _REJECTED or set(cancelled) & {"ValidationError"}:
                cls = StorageRejectedError
        else:
            reason = str(exc)
        return cls(f"dynamodb: cannot {action}: {reason}", details={"table": self.table})

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise self._failure(action, exc) from exc

    def _get_item(self, what: str, pk: str, sk: str, *, consistent: bool = False) -> dict[str, Any] | None:
        """One item by its key (None if absent); ``consistent`` reads the latest write."""
        with self._errors(what):
            item: dict[str, Any] | None = self.client.get_item(
                TableName=self.table, Key={"PK": _s(pk), "SK": _s(sk)}, ConsistentRead=consistent
            ).get("Item")
        return item

    def _batch_write(self, what: str, requests: list[dict[str, Any]], retries: int = 6) -> None:
        """BatchWriteItem 25 at a time, resending what DynamoDB left unprocessed (throttling)."""
        import random
        import time

        for start in range(0, len(requests), 25):
            pending = {self.table: requests[start : start + 25]}
            for attempt in range(retries + 1):
                with self._errors(what):
                    pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                if attempt == retries:
                    raise StorageError(
                        f"dynamodb: cannot {what}: items left unprocessed", details={"table": self.table}
                    )
                time.sleep(random.uniform(0, 0.01 * 2**attempt))

    def _delete_keys(self, what: str, keys: list[dict[str, Any]]) -> None:
        self._batch_write(what, [{"DeleteRequest": {"Key": {"PK": k["PK"], "SK": k["SK"]}}} for k in keys])

    def _query(self, what: str, *, limit: int | None, **params: Any) -> list[dict[str, Any]]:
        """Up to ``limit`` items (all if None), following ``LastEvaluatedKey``.

        A Query page stops at 1 MB whatever its ``Limit``: stopping at the first page would
        return a short page and end the caller's pagination early.
        """
        items: list[dict[str, Any]] = []
        with self._errors(what):
            while True:
                page = self.client.query(**params)
                items.extend(page.get("Items", []))
                last = page.get("LastEvaluatedKey")
                if last is None or (limit is not None and len(items) >= limit):
                    return items[:limit] if limit is not None else items
                params["ExclusiveStartKey"] = last
                if limit is not None:
                    params["Limit"] = limit - len(items)
