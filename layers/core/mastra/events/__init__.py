"""Pipeline events: versioned models, publishers (store, SQS, off) and the consumer."""

from mastra.events.base import EventPublisher, EventPublishError, NullPublisher
from mastra.events.models import (
    AgentCompleted,
    AgentSelected,
    Event,
    EventBatch,
    FeedbackReceived,
    ReflectionVerdict,
    RequestCompleted,
    RequestFailed,
    RequestReceived,
    RewardAssigned,
)

__all__ = [
    "AgentCompleted",
    "AgentSelected",
    "Event",
    "EventBatch",
    "EventPublishError",
    "EventPublisher",
    "FeedbackReceived",
    "NullPublisher",
    "ReflectionVerdict",
    "RequestCompleted",
    "RequestFailed",
    "RequestReceived",
    "RewardAssigned",
]
