"""Where events go: one small interface, one file per destination."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from mastra.errors import EventPublishError
from mastra.events.models import Event

__all__ = ["EventPublishError", "EventPublisher", "NullPublisher"]


class EventPublisher(ABC):
    @abstractmethod
    def publish(self, events: Sequence[Event]) -> None:
        """Deliver the events of one request (all or nothing, at least once)."""


class NullPublisher(EventPublisher):
    """``MASTRA_EVENTS=off``: events are not kept anywhere."""

    def publish(self, events: Sequence[Event]) -> None:
        return None
