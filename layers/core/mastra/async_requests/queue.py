"""Where queued requests wait: one small interface; SQS on AWS, the SQLite queue locally (``sqlite.py``)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from mastra import aws
from mastra.async_requests.models import QueuedRequest
from mastra.async_requests.sqlite import SQLiteRequestQueue
from mastra.errors import StorageError


class QueueError(StorageError):
    """The queue refused or could not be reached (503: retry)."""

    code = "queue_unavailable"


class RequestQueue(ABC):
    @abstractmethod
    def send(self, message: QueuedRequest) -> None:
        """Queue one request (at least once)."""


class SQSRequestQueue(RequestQueue):
    """``MASTRA_REQUESTS_QUEUE=sqs``: one message per request; the worker function consumes them."""

    def __init__(self, queue_url: str, *, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("sqs")

    def send(self, message: QueuedRequest) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.send_message(
                QueueUrl=self.queue_url,
                MessageBody=message.model_dump_json(),
                MessageAttributes={  # a body the worker cannot read still names the record to fail
                    "tenant_id": {"DataType": "String", "StringValue": message.tenant_id},
                    "request_id": {"DataType": "String", "StringValue": message.request_id},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise QueueError(f"sqs: cannot queue request {message.request_id}: {exc}") from exc


class LocalRequestQueue(RequestQueue):
    """The embedded default: the SQLite queue in the data file, drained by worker threads."""

    def __init__(
        self, queue: SQLiteRequestQueue, *, expiry: Callable[[str, float], float | None] = lambda t, now: None
    ) -> None:
        self.queue = queue
        self.expiry = expiry  # the tenant's retention (Store.expiry): a dead message does not outlive it

    def send(self, message: QueuedRequest) -> None:
        self.queue.send(
            message.tenant_id,
            message.request_id,
            message.model_dump_json(),
            user_id=message.context.user_id,
            expires_at=self.expiry(message.tenant_id, time.time()),
        )
