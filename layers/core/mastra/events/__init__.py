"""Pipeline events: versioned models, publishers (store, SQS, off) and the consumer."""

from mastra.events.base import EventPublisher, EventPublishError, NullPublisher
from mastra.events.models import (
    AgentCompleted,
    AgentSelected,
    Event,
    EventBatch,
    ReflectionVerdict,
    RequestFailed,
    RequestReceived,
)

__all__ = [
    "AgentCompleted",
    "AgentSelected",
    "Event",
    "EventBatch",
    "EventPublishError",
    "EventPublisher",
    "NullPublisher",
    "ReflectionVerdict",
    "RequestFailed",
    "RequestReceived",
]
