"""The domain types that flow through the request pipeline (JSON in and out of every step)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mastra.memory.models import MemoryUse
from mastra.providers.base import Critique, ProviderFailure
from mastra.reflection.base import Reflection
from mastra.screening.models import OutputScreen
from mastra.selection.base import Selection
from mastra.sentiment.base import Sentiment

# No leading dot: "." and ".." are path segments (payload files are keyed by tenant/user/thread).
ID_PATTERN = r"^[A-Za-z0-9_:@-][A-Za-z0-9_.:@-]{0,127}$"


class ChatRequest(BaseModel):
    """A user's message, as the API and CLI accept it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=8000, description="The user's message.")
    user_id: str = Field("anonymous", pattern=ID_PATTERN, description="Who is asking (the memory 'resource').")
    thread_id: str | None = Field(
        None, pattern=ID_PATTERN, description="Conversation to continue; omitted: a new thread is started."
    )


class RequestContext(BaseModel):
    """The request as every step sees it."""

    request_id: str
    tenant_id: str
    user_id: str
    thread_id: str
    message: str
    received_at: float
    new_thread: bool = Field(False, description="The thread was opened by this request: there is no history to read.")


class StepFailure(BaseModel):
    """An error caught by the pipeline (the Step Functions ``Catch`` output)."""

    model_config = ConfigDict(populate_by_name=True)

    error: str = Field(alias="Error")
    cause: str = Field("", alias="Cause")

    @field_validator("cause", mode="before")
    @classmethod
    def _cause_text(cls, value: Any) -> str:
        return value if isinstance(value, str) else str(value)


class ToolCallRecord(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    is_error: bool = False


class PromptUse(BaseModel):
    """The prompt version an attempt used, recorded so outcomes can be compared per version."""

    ref: str = Field(description="'<id>@<version>', or 'inline:<agent_id>' for a spec's inline template.")
    prompt_id: str | None = None
    version: int | None = None
    label: str | None = Field(None, description="The label resolved, if the agent named one.")
    arm: int | None = Field(None, description="The A/B arm (index in the label's split), if the label is split.")


class CacheUse(BaseModel):
    """How the answer cache treated an attempt: its key, a hit, or why it was bypassed."""

    key: str | None = None
    hit: bool = False
    bypass: str | None = Field(None, description="Why the cache was not used (a personalised agent, a repair...).")


class FastPath(BaseModel):
    """Reflection skipped for this attempt, and why (a cached answer; a fast, trusted, confident path)."""

    reason: str
    expected_score: float = Field(ge=0, le=1, description="The score the answer is expected to get (observed).")


class Execution(BaseModel):
    """One agent's attempt at the request."""

    agent_id: str
    attempt: int = 1
    answer: str
    provider: str
    model_id: str = ""
    stop_reason: str = "end_turn"
    sources: list[str] = Field(default_factory=list)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    recovered_from: StepFailure | None = Field(None, description="The failure this fallback answer replaces.")
    replaces_agent_id: str | None = Field(None, description="The agent whose failure this answer replaces.")
    provider_failures: list[ProviderFailure] = Field(
        default_factory=list,
        description="Models of the agent's fallback chain that failed before `provider` answered, and why.",
    )
    memory: MemoryUse | None = Field(None, description="What the agent's context held from memory.")
    prompt: PromptUse | None = Field(None, description="The prompt version this attempt used.")
    critique: Critique | None = Field(None, description="A repair attempt: what reflection asked it to fix.")
    timeout_s: float | None = Field(None, description="The agent's time limit for this attempt (adaptive).")
    cache: CacheUse | None = None
    fast_path: FastPath | None = Field(None, description="Set when reflection is skipped for this attempt.")
    screen: OutputScreen | None = Field(None, description="The output screen: a leaked system prompt or secrets.")
    elapsed_ms: float = 0.0

    @property
    def answered(self) -> bool:
        return bool(self.answer.strip()) and self.stop_reason != "no_match" and self.recovered_from is None


class AttemptSummary(BaseModel):
    """One step of the request's attempts: who answered, how it was judged, what happened next."""

    agent_id: str
    attempt: int
    verdict: str
    score: float
    answer: str
    action: str = Field("answer", description="answer (attempt 1), retry (another agent) or repair (critique).")
    critique: str | None = Field(None, description="The critique this attempt was given (repair).")
    reasons: dict[str, str] = Field(default_factory=dict)
    elapsed_ms: float = 0.0


class AttemptRecord(BaseModel):
    """An attempt and its reflection, as the loop carries them in the state (``$.reflection.history``)."""

    execution: Execution
    reflection: Reflection


class ReflectOutput(Reflection):
    """The reflect step's output: the verdict, and every attempt so far (this one last).

    Amazon States Language cannot append to a list, so each reflection returns the history it was
    given plus its own attempt; the next attempt's number is ``next_attempt``.
    """

    history: list[AttemptRecord] = Field(default_factory=list)
    next_attempt: int = 2


class SentimentSummary(BaseModel):
    label: str
    score: float


class ReflectionSummary(BaseModel):
    verdict: str
    score: float
    reason: str
    attempts: int = 1
    kept_attempt: int = 1
    skipped: bool = False


class Trace(BaseModel):
    """Everything the pipeline decided, for people and for feedback later."""

    selection: Selection
    sentiment: Sentiment
    executions: list[Execution]
    reflections: list[Reflection]
    errors: list[StepFailure] = Field(default_factory=list)


class ChatResponse(BaseModel):
    """The answer and a summary of how it was produced."""

    request_id: str
    thread_id: str
    user_id: str
    answer: str
    agent: str
    confidence: float
    sentiment: SentimentSummary
    reflection: ReflectionSummary
    attempts: list[AttemptSummary]
    sources: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float]
    trace: Trace
