"""The model-provider interface: one request/response shape for every model Mastra can call.

A provider translates :class:`CompletionRequest` into its API's call and the reply back into
:class:`CompletionResponse`, and translates its SDK's errors into Mastra's at its edge:
throttling becomes :class:`~mastra.errors.ProviderThrottledError` (retryable), timeouts
:class:`~mastra.errors.StepTimeoutError`, anything else :class:`~mastra.errors.ProviderError`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from mastra.spec.models import ModelSettings, ModelTarget


class ToolCall(BaseModel):
    """A model's request to run a tool."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolResult(BaseModel):
    """The outcome of a tool call, sent back to the model."""

    tool_call_id: str
    name: str
    content: dict[str, Any]
    is_error: bool = False


class ChatMessage(BaseModel):
    """One message of a conversation, in the provider-neutral shape."""

    role: Literal["user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_results: list[ToolResult] = Field(default_factory=list)


class ToolSpec(BaseModel):
    """What a model is told about a tool it may call."""

    name: str
    description: str
    input_schema: dict[str, Any]


class Critique(BaseModel):
    """What reflection asks a repair attempt to fix; every provider honours it.

    Models that read instructions get ``text`` as an extra system instruction
    (:func:`with_critique`); the offline retrieval model acts on the structured fields.
    """

    text: str = Field(description="The instruction, in words a model can follow.")
    exclude_sources: list[str] = Field(default_factory=list, description="Passages judged off-topic: do not reuse.")
    redact: bool = Field(False, description="The last answer leaked personal data or secrets: leave them out.")
    tone: Literal["empathetic"] | None = Field(None, description="The user is upset: answer with care.")
    expand: bool = Field(False, description="The last answer missed part of the request: cover every part.")


def with_critique(system: str | None, critique: Critique | None) -> str | None:
    """The system prompt with the critique appended as an instruction (for models that read one).

    >>> with_critique("Be brief.", Critique(text="Do not include email addresses."))
    'Be brief.\n\nYour previous answer was reviewed. Do not include email addresses.'
    """
    if critique is None:
        return system
    note = f"Your previous answer was reviewed. {critique.text}"
    return f"{system}\n\n{note}" if system else note


class CompletionRequest(BaseModel):
    system: str | None = None
    messages: list[ChatMessage]
    tools: list[ToolSpec] = Field(default_factory=list)
    settings: ModelTarget = Field(default_factory=ModelSettings)
    timeout_s: float = Field(default=30.0, gt=0)
    memory: dict[str, Any] = Field(
        default_factory=dict,
        description="The request's memory (working_memory, summary, recalled) as template variables. Models that "
        "read a system prompt get it there; the offline retrieval model renders templated passages with it.",
    )
    critique: Critique | None = Field(None, description="Set on a repair attempt: what to fix in the answer.")
    context: dict[str, str] = Field(
        default_factory=dict, description="agent_id, request_id, user_id: for agents that answer elsewhere."
    )


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


StopReason = Literal["end_turn", "tool_use", "max_tokens", "content_filtered", "no_match"]


class ProviderFailure(BaseModel):
    """A model of an agent's fallback chain that failed, and why (error code and message, no secrets)."""

    provider: str
    model_id: str
    error: str = Field(description="The error code: provider_throttled, timeout, provider_error...")
    message: str
    attempts: int = Field(1, description="Calls made, retries included.")


class CompletionResponse(BaseModel):
    message: ChatMessage
    stop_reason: StopReason = "end_turn"
    usage: Usage = Field(default_factory=Usage)
    model_id: str = ""
    sources: list[str] = Field(default_factory=list, description="Ids of passages the answer came from.")
    provider: str = Field("", description="The provider that answered (set by a fallback chain).")
    failures: list[ProviderFailure] = Field(
        default_factory=list, description="Models of the fallback chain that failed before this one answered."
    )


class ModelProvider(ABC):
    """A model that turns a conversation (and tool results) into the next assistant message."""

    name: ClassVar[str]
    #: False for models that ignore the system prompt, so the agent loop need not render it.
    uses_system_prompt: ClassVar[bool] = True

    @abstractmethod
    def complete(self, request: CompletionRequest) -> CompletionResponse:
        """Produce the next assistant message: text, or tool calls to run first."""


class SDKProvider(ModelProvider):
    """A provider that talks to its model through an SDK client.

    The client is built on first use (never at import, so no Lambda pays for a client it never
    uses), once per provider even under concurrent first calls, or injected for tests.
    """

    def __init__(self, client: Any | None = None) -> None:
        self._client = client
        self._client_lock = threading.Lock()

    @abstractmethod
    def build_client(self) -> Any:
        """Create the SDK client (called at most once)."""

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self.build_client()
        return self._client


def last_user_text(messages: list[ChatMessage]) -> str:
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return ""
