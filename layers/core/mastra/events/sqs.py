"""Events to an SQS queue: one message per request (the batch of its events)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mastra import aws
from mastra.events.base import EventPublisher, EventPublishError
from mastra.events.models import Event, EventBatch


class SQSPublisher(EventPublisher):
    def __init__(self, queue_url: str, *, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("sqs")

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        from botocore.exceptions import BotoCoreError, ClientError

        batch = EventBatch(events=list(events))
        first = batch.events[0]
        types = ",".join(sorted({e.type for e in batch.events}))
        try:
            self.client.send_message(
                QueueUrl=self.queue_url,
                MessageBody=batch.model_dump_json(),
                MessageAttributes={  # lets subscribers filter without parsing the body
                    "tenant_id": {"DataType": "String", "StringValue": first.tenant_id},
                    "request_id": {"DataType": "String", "StringValue": first.request_id},
                    "types": {"DataType": "String", "StringValue": types},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise EventPublishError(f"sqs: cannot publish {len(batch.events)} events: {exc}") from exc
