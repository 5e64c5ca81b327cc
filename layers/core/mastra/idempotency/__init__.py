"""Idempotent execution of HTTP calls with Powertools' idempotency utility.

A call carrying an ``Idempotency-Key`` runs through ``idempotent_function``: the first call claims
the key (an ``INPROGRESS`` record), runs, and stores its response (``COMPLETED``); a retry with the
same key gets that response back without running anything; a retry while the first still runs
gets ``ConflictError`` (409); the same key with a different payload gets ``InvalidRequestError``
(422). The key is scoped by tenant, actor, method and path (Powertools hashes that scope, sha256),
so two callers can never see each other's responses.

Only final responses are stored: 2xx, and 4xx that a retry would get again. A 5xx, a 429 or any
error marked retryable raises through Powertools, which deletes the claim, so a retry runs again.
An in-progress claim holds for a lease (the Lambda's remaining time on AWS, else
``MASTRA_IDEMPOTENCY_LEASE_S``): a process that died mid-call does not block its key until expiry.

Persistence: Powertools' ``DynamoDBPersistenceLayer`` on its own table on AWS
(``MASTRA_IDEMPOTENCY_TABLE_NAME``), ``SQLitePersistenceLayer`` in the embedded file locally.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from mastra.errors import ConflictError, InvalidRequestError, StorageError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

    from mastra.settings import Settings
    from mastra.storage import Store

#: Records are keyed ``http#<sha256 of the scope>``: stable across function names and deploys.
KEY_PREFIX = "http"
#: Statuses a retry may not get again, whatever their class: never stored.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class StoredResponse:
    """An HTTP response as stored: status, headers and the body's exact text."""

    status: int
    body: str
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        """Whether a retry would get the same: 2xx, or a 4xx that is not about timing or load."""
        return 200 <= self.status < 300 or (400 <= self.status < 500 and self.status not in RETRYABLE_STATUSES)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body, "media_type": self.media_type, "headers": self.headers}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredResponse:
        return cls(int(data["status"]), str(data["body"]), str(data["media_type"]), dict(data.get("headers") or {}))


class NotStored(Exception):
    """Raised through Powertools for a response that must not be replayed (it drops the claim)."""

    def __init__(self, response: StoredResponse) -> None:
        super().__init__(f"response {response.status} is not stored")
        self.response = response


class _Lease:
    """Looks like a Lambda context to Powertools: its 'remaining time' is the in-progress lease."""

    def __init__(self, millis: int) -> None:
        self.millis = millis

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


class Idempotency:
    """Runs calls once per (scope, key) over a Powertools persistence layer."""

    def __init__(self, layer: BasePersistenceLayer, *, ttl_s: float, lease_s: float) -> None:
        self.layer = layer
        self.lease_ms = int(lease_s * 1000)
        self.config = IdempotencyConfig(
            event_key_jmespath="scope",
            payload_validation_jmespath="payload",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=int(ttl_s),
            hash_function="sha256",
        )

    def run(
        self,
        scope: dict[str, str],
        payload: Any,
        call: Callable[[], StoredResponse],
        *,
        context: Any = None,
    ) -> tuple[StoredResponse, bool]:
        """``call()``'s response, or the stored one for ``scope``; and whether it was replayed.

        ``context``: the Lambda context (its remaining time is the lease), if there is one.
        """
        config = copy.copy(self.config)  # per call: the lease is this call's
        lease = context if hasattr(context, "get_remaining_time_in_millis") else _Lease(self.lease_ms)
        config.register_lambda_context(lease)  # type: ignore[arg-type] # any object with the method serves
        ran = False

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="request", persistence_store=self.layer, config=config, key_prefix=KEY_PREFIX
        )
        def execute(request: dict[str, Any]) -> dict[str, Any]:
            nonlocal ran
            ran = True
            response = call()
            if not response.final:
                raise NotStored(response)
            return response.to_dict()

        try:
            result = execute(request={"scope": scope, "payload": payload})
        except NotStored as exc:
            return exc.response, False
        except IdempotencyValidationError as exc:
            raise InvalidRequestError(
                "this Idempotency-Key was used with a different request body; use a new key for a new request",
                details={"idempotency_key": scope.get("key")},
            ) from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise ConflictError(
                "a request with this Idempotency-Key is still in progress; retry after it completes",
                details={"idempotency_key": scope.get("key")},
            ) from exc
        except IdempotencyPersistenceLayerError as exc:
            raise StorageError(f"idempotency store unavailable: {exc.args[0] if exc.args else exc}") from exc
        return StoredResponse.from_dict(result), not ran


def canonical_payload(body: bytes, query: str) -> dict[str, Any]:
    """What a retry must repeat: the JSON body (key order and spacing do not matter) and the query."""
    try:
        parsed: Any = json.loads(body) if body else None
    except ValueError:
        parsed = {"raw": body.decode("utf-8", "replace")}
    return {"body": parsed, "query": query}


def persistence_layer(settings: Settings, store: Store) -> BasePersistenceLayer:
    """Powertools' DynamoDB layer on AWS (its own table); the SQLite layer on the embedded store's file."""
    if settings.store == "dynamodb":
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        from mastra import aws

        return DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name, boto3_client=aws.client("dynamodb"))
    from mastra.idempotency.sqlite import SQLitePersistenceLayer

    return SQLitePersistenceLayer(store.db)  # type: ignore[attr-defined]
