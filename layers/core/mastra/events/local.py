"""The embedded destination: events go straight to the store, as the AWS consumer would put them."""

from __future__ import annotations

from collections.abc import Sequence

from mastra.events.base import EventPublisher
from mastra.events.consumer import record_batch
from mastra.events.models import Event, EventBatch
from mastra.storage.base import Store


class StorePublisher(EventPublisher):
    def __init__(self, store: Store) -> None:
        self.store = store

    def publish(self, events: Sequence[Event]) -> None:
        if events:
            record_batch(EventBatch(events=list(events)), self.store)
