"""Pipeline events out to an EventBridge bus, so other systems can subscribe with rules.

Each event is one entry: ``Source`` ``mastra``, ``DetailType`` its type (``request.completed``,
``feedback.received``, ``reward.assigned``, ...), ``Detail`` the event's JSON (with its
``event_id``, ``tenant_id`` and ``version``). A rule matches, e.g.,
``{"source": ["mastra"], "detail-type": ["reward.assigned"], "detail": {"tenant_id": ["acme"]}}``.

Delivery is at least once: entries EventBridge reports failed (throttled, internal errors) are sent
again with backoff, then :class:`EventPublishError` fails the queue message so SQS redelivers it
(subscribers de-duplicate on ``detail.event_id``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from mastra import aws
from mastra.errors import EventPublishError
from mastra.events.models import Event

SOURCE = "mastra"
MAX_ENTRIES = 10  # PutEvents' limit per call
ATTEMPTS = 4


def entry(event: Event, bus: str) -> dict[str, Any]:
    return {
        "Source": SOURCE,
        "DetailType": event.type,
        "Detail": event.model_dump_json(),
        "EventBusName": bus,
        "Time": event.occurred_at,
        "Resources": [],
    }


class EventBridgeForwarder:
    def __init__(
        self, bus_name: str, *, client: Any | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.bus_name = bus_name
        self._client = client
        self.sleep = sleep

    @property
    def client(self) -> Any:
        return self._client or aws.client("events")

    def forward(self, events: Sequence[Event]) -> int:
        """Put every event on the bus; returns how many. Raises :class:`EventPublishError` if some
        could not be put after retries (none is dropped silently)."""
        from botocore.exceptions import BotoCoreError, ClientError

        entries = [entry(e, self.bus_name) for e in events]
        for start in range(0, len(entries), MAX_ENTRIES):
            pending = entries[start : start + MAX_ENTRIES]
            for attempt in range(ATTEMPTS):
                try:
                    result = self.client.put_events(Entries=pending)
                except (ClientError, BotoCoreError) as exc:
                    if attempt == ATTEMPTS - 1:
                        raise EventPublishError(f"eventbridge: cannot put {len(pending)} events: {exc}") from exc
                else:
                    failed = [e for e, r in zip(pending, result.get("Entries", []), strict=False) if r.get("ErrorCode")]
                    if not result.get("FailedEntryCount") and not failed:
                        break
                    if attempt == ATTEMPTS - 1:
                        codes = sorted({r.get("ErrorCode") for r in result.get("Entries", []) if r.get("ErrorCode")})
                        raise EventPublishError(
                            f"eventbridge: {len(failed)} events not put ({', '.join(map(str, codes))})",
                            details={"bus": self.bus_name},
                        )
                    pending = failed  # only the failed entries are sent again
                self.sleep(random.uniform(0.5, 1.0) * 0.1 * 2**attempt)
        return len(entries)
