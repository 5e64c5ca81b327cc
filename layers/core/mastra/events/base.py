"""Where events go: one small interface, one file per destination."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from mastra.errors import MastraError
from mastra.events.models import Event


class EventPublishError(MastraError):
    """Events could not be delivered; the step fails and is retried rather than dropping them."""

    code = "events_unavailable"
    retryable = True
    category = "third_party"


class EventPublisher(ABC):
    @abstractmethod
    def publish(self, events: Sequence[Event]) -> None:
        """Deliver the events of one request (all or nothing, at least once)."""


class NullPublisher(EventPublisher):
    """``MASTRA_EVENTS=off``: events are not kept anywhere."""

    def publish(self, events: Sequence[Event]) -> None:
        return None
