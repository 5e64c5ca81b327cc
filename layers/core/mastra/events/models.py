"""Pipeline events: typed, versioned pydantic models.

Each event has a ``type`` and a ``version``; together they select the model (a consumer that
meets a (type, version) it does not know fails that message, which is retried and then parked in
the dead-letter queue rather than dropped). The events of one request travel together in one
:class:`EventBatch`: one queue message and one store write per request, whatever the number of
events (the cost model of the AWS stack).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal, get_args

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
    topic: str | None = Field(None, description="The kind of request (Selection.topic).")
    router_agent_id: str | None = Field(
        None, description="The router's own choice (not agent_id: the bandit served another)."
    )
    explored: bool = Field(False, description="The bandit's exploration draw chose the agent.")


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
    findings: list[str] = Field(
        default_factory=list, description="Safety findings: 'prompt_injection' (blocked), leaks (kinds only)."
    )


class RequestFailed(_Event):
    type: Literal["request.failed"] = "request.failed"
    version: Literal[1] = 1
    error: str
    message: str


class RequestCompleted(_Event):
    """A request answered: what the stats aggregate per agent, prompt version and topic."""

    type: Literal["request.completed"] = "request.completed"
    version: Literal[1] = 1
    agent_id: str = Field(description="The agent whose answer was kept.")
    topic: str | None = Field(None, description="Selection.topic (None: the selected agent id).")
    prompt_ref: str | None = Field(None, description="The kept answer's prompt version.")
    attempts: int = Field(description="Agent executions, retries included.")
    reflection_score: float | None = Field(None, description="The kept answer's reflection score.")
    latency_ms: float = Field(description="The steps' sum up to the kept answer's reflection (before Remember).")
    timings_ms: dict[str, float] = Field(default_factory=dict, description="Per step (select_agent, ...).")
    errors: int = Field(0, description="Step failures the request recovered from.")
    blocked: bool = Field(False, description="Refused unanswered: a prompt injection or jailbreak (screening).")
    redacted: bool = Field(False, description="The kept answer leaked (prompt, secrets, personal data): redacted.")


class FeedbackReceived(_Event):
    type: Literal["feedback.received"] = "feedback.received"
    version: Literal[1] = 1
    user_id: str
    agent_id: str
    topic: str | None = None
    prompt_ref: str | None = None
    thumbs: Literal["up", "down"] | None = None
    rating: int | None = Field(None, ge=1, le=5)
    has_comment: bool = False
    comment_sentiment: float | None = None
    replaced: bool = False
    previous_thumbs: Literal["up", "down"] | None = Field(None, description="What it replaced (replaced only).")
    previous_rating: int | None = Field(None, ge=1, le=5)
    previous_had_comment: bool = False


class RewardAssigned(_Event):
    type: Literal["reward.assigned"] = "reward.assigned"
    version: Literal[1] = 1
    agent_id: str
    topic: str | None = None
    prompt_ref: str | None = None
    reward: float
    previous_reward: float | None = None
    revision: int
    components: dict[str, float] = Field(default_factory=dict)


class RetrainingFinished(_Event):
    """The end of a retraining run (``request_id`` is the run id): promoted, rejected, skipped or failed."""

    type: Literal["retraining.finished"] = "retraining.finished"
    version: Literal[1] = 1
    kind: str = Field(description="The model kind retrained, e.g. 'router'.")
    outcome: Literal["promoted", "rejected", "skipped", "failed"]
    promoted: bool
    candidate_version: int | None = Field(None, description="The registered candidate (None: none was trained).")
    champion_version: int | None = Field(None, description="The champion when the run was evaluated.")
    metrics: dict[str, float] = Field(default_factory=dict)
    reason: str = ""


def audit_day(at: float) -> str:
    """The ``request_id`` of a day's audit events (``audit:<yyyy-mm-dd>``, UTC): one partition per
    tenant and day, read with ``GET /v1/audit``.

    >>> audit_day(0)
    'audit:1970-01-01'
    """
    return "audit:" + time.strftime("%Y-%m-%d", time.gmtime(at))


class AuditRecorded(_Event):
    """An admin action: who did what to which target. ``request_id`` is the day (:func:`audit_day`)."""

    type: Literal["audit.recorded"] = "audit.recorded"
    version: Literal[1] = 1
    actor: str = Field(description="The key id, jwt:<subject>, or cli:<user> that acted.")
    via: str = Field(description="How the actor authenticated: api_key, jwt or local (the CLI).")
    action: str = Field(description="e.g. key.created, key.revoked, prompt.label_moved, user.erased.")
    target: str = Field(description="What was acted on, e.g. key:<id>, prompt:<id>@<label>, user:<id>.")
    outcome: Literal["ok", "denied", "failed"] = "ok"
    details: dict[str, str] = Field(default_factory=dict)


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
    | Annotated[RequestCompleted, Tag("request.completed/1")]
    | Annotated[FeedbackReceived, Tag("feedback.received/1")]
    | Annotated[RewardAssigned, Tag("reward.assigned/1")]
    | Annotated[RetrainingFinished, Tag("retraining.finished/1")]
    | Annotated[AuditRecorded, Tag("audit.recorded/1")],
    Discriminator(_kind),
]


class EventBatch(BaseModel):
    """The events of one request, as one message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    events: list[Event] = Field(min_length=1, max_length=50)


#: Every event model, for the JSON Schemas under docs/events/ (``mastra events schemas``).
#: Every event model, from the union itself (so a new event cannot miss its schema file).
EVENT_MODELS: tuple[type[_Event], ...] = tuple(get_args(member)[0] for member in get_args(get_args(Event)[0]))
