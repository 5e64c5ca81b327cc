"""Consuming event batches: validate, store idempotently (the event id is the key), then add them
to the hourly stats (``mastra.stats``), each event once even when the batch is redelivered.

On AWS the event-consumer Lambda calls :func:`consume` for each SQS record through Powertools
batch processing, so one bad message is reported as a partial failure (retried, then parked in
the dead-letter queue) and never drops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mastra.events.models import Event, EventBatch
from mastra.storage.base import Store
from mastra.storage.models import EventRecord


def event_records(events: Sequence[Event]) -> list[EventRecord]:
    """Events as the store keeps them (the event id is the key)."""
    return [
        EventRecord(
            tenant_id=e.tenant_id,
            request_id=e.request_id,
            event_id=e.event_id,
            type=e.type,
            version=e.version,
            occurred_at=e.occurred_at,
            body=e.model_dump(mode="json"),
        )
        for e in events
    ]


def record_batch(batch: EventBatch, store: Store, *, on_applied: Callable[[list[Event]], None] | None = None) -> int:
    """Store a batch and aggregate it; returns how many events it held (re-delivery stores and
    counts nothing twice). ``on_applied`` gets the events counted now (for metrics)."""
    from mastra.stats.service import aggregate, stats_store_for

    store.record_events(event_records(batch.events))
    applied = aggregate(batch.events, stats_store_for(store))
    if on_applied is not None:
        on_applied(applied)
    return len(batch.events)


def consume(
    body: str,
    store: Store,
    *,
    on_applied: Callable[[list[Event]], None] | None = None,
    forward: Callable[[list[Event]], object] | None = None,
) -> int:
    """One queue message: raises (pydantic ``ValidationError``) on anything that is not a batch.
    ``forward`` (e.g. to the EventBridge bus) gets the batch's events after they are stored."""
    batch = EventBatch.model_validate_json(body)
    count = record_batch(batch, store, on_applied=on_applied)
    if forward is not None:
        forward(list(batch.events))
    return count
