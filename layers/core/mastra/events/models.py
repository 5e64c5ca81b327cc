"""Pipeline events: typed, versioned pydantic models.

Each event has a ``type`` and a ``version``; together they select the model (a consumer that
meets a (type, version) it does not know fails that message, which is retried and then parked in
the dead-letter queue rather than dropped). The events of one request travel together in one
:class:`EventBatch`: one queue message and one store write per request, whatever the number of
events (the cost model of the AWS stack).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from mastra.ids import new_id
from mastra.models import StepFailure
from mastra.selection.base import AgentScore


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(default_factory=new_id)
    version: int
    occurred_at: float = Field(default_factory=time.time, description="Unix time, seconds.")
    tenant_id: str
    request_id: str


class RequestReceived(_Event):
    type: Literal["request.received"] = "request.received"
    version: Literal[1] = 1
    user_id: str
    thread_id: str
    message_chars: int


class AgentSelected(_Event):
    type: Literal["agent.selected"] = "agent.selected"
    version: Literal[1] = 1
    agent_id: str | None
    confidence: float
    fallback: bool
    fallback_reason: str | None = None
    router: str
    ranked: list[AgentScore]


class AgentCompleted(_Event):
    type: Literal["agent.completed"] = "agent.completed"
    version: Literal[1] = 1
    agent_id: str
    attempt: int
    provider: str
    model_id: str
    stop_reason: str
    answered: bool
    elapsed_ms: float
    tools: list[str] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    recovered_from: StepFailure | None = None
    prompt_ref: str | None = Field(None, description="The prompt version used: '<id>@<version>' or 'inline:<agent>'.")
    prompt_label: str | None = Field(None, description="The label it was resolved through, if any.")
    prompt_arm: int | None = Field(None, description="The A/B arm of a split label.")


class ReflectionVerdict(_Event):
    type: Literal["reflection.verdict"] = "reflection.verdict"
    version: Literal[1] = 1
    agent_id: str
    attempt: int
    verdict: str
    score: float
    signals: dict[str, float] = Field(default_factory=dict)
    retry_agent_id: str | None = None
    chosen: str = "first"


class RequestFailed(_Event):
    type: Literal["request.failed"] = "request.failed"
    version: Literal[1] = 1
    error: str
    message: str


class FeedbackReceived(_Event):
    type: Literal["feedback.received"] = "feedback.received"
    version: Literal[1] = 1
    user_id: str
    agent_id: str
    topic: str
    prompt_ref: str | None = None
    thumbs: Literal["up", "down"] | None = None
    rating: int | None = None
    has_comment: bool = False
    comment_sentiment: float | None = None
    replaced: bool = False


class RewardAssigned(_Event):
    type: Literal["reward.assigned"] = "reward.assigned"
    version: Literal[1] = 1
    agent_id: str
    topic: str
    prompt_ref: str | None = None
    reward: float
    previous_reward: float | None = None
    revision: int
    components: dict[str, float] = Field(default_factory=dict)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value.get('type')}/{value.get('version')}"
    return f"{value.type}/{value.version}"


Event = Annotated[
    Annotated[RequestReceived, Tag("request.received/1")]
    | Annotated[AgentSelected, Tag("agent.selected/1")]
    | Annotated[AgentCompleted, Tag("agent.completed/1")]
    | Annotated[ReflectionVerdict, Tag("reflection.verdict/1")]
    | Annotated[RequestFailed, Tag("request.failed/1")]
    | Annotated[FeedbackReceived, Tag("feedback.received/1")]
    | Annotated[RewardAssigned, Tag("reward.assigned/1")],
    Discriminator(_kind),
]


class EventBatch(BaseModel):
    """The events of one request, as one message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    events: list[Event] = Field(min_length=1, max_length=50)
