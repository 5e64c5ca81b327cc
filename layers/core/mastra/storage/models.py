"""Records the stores keep. Every key starts with the tenant id."""

from __future__ import annotations

from typing import Any, Generic, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Message(BaseModel):
    """One message of a thread. ``message_id`` sorts in creation order."""

    tenant_id: str
    thread_id: str
    message_id: str
    role: Literal["user", "assistant"]
    content: str
    user_id: str
    request_id: str
    agent_id: str | None = None
    created_at: float = Field(description="Unix time, seconds.")
    expires_at: float | None = Field(None, description="Unix time after which it is gone (the tenant's retention).")
    content_ref: str | None = Field(
        None, description="Where the full content is when it was too large for the record (content is a preview)."
    )
    # The message's sentence embedding (mastra.memory.vectors format), written in the same write as
    # the message: a deleted or expired message can never be recalled.
    embedding: bytes | None = Field(None, exclude=True, repr=False)


class Thread(BaseModel):
    tenant_id: str
    thread_id: str
    user_id: str
    created_at: float
    updated_at: float
    message_count: int = 0
    expires_at: float | None = None


class RequestRecord(BaseModel):
    """A handled request and its full response (answer and trace), for feedback and audit."""

    tenant_id: str
    request_id: str
    user_id: str
    thread_id: str
    created_at: float
    response: dict[str, Any]


class Turn(BaseModel):
    """What one request adds to memory, written atomically and at most once."""

    request: RequestRecord
    user_message: Message
    assistant_message: Message


class EventRecord(BaseModel):
    """A pipeline event as stored (the store does not interpret ``body``)."""

    tenant_id: str
    request_id: str
    event_id: str
    type: str
    version: int
    occurred_at: float
    body: dict[str, Any]


class StoredVector(NamedTuple):
    """A message's embedding as recall scans it (no content: hits are fetched afterwards). A tuple,
    not a model: a scan reads thousands, and validating each would cost more than scoring it."""

    thread_id: str
    message_id: str
    vector: bytes


class WorkingMemory(BaseModel):
    """A user's structured profile; every change bumps ``version`` (optimistic concurrency)."""

    tenant_id: str
    user_id: str
    version: int = 0
    fields: dict[str, Any] = Field(default_factory=dict)
    updated_at: float = 0.0
    expires_at: float | None = None


class WorkingMemoryChange(BaseModel):
    """One version of a profile: what changed, by whom. Kept as history."""

    version: int
    set: dict[str, Any] = Field(default_factory=dict)
    removed: list[str] = Field(default_factory=list)
    source: str = Field(description="api, or pipeline:<request_id>.")
    at: float


class ThreadSummary(BaseModel):
    """Older turns of a thread, summarised into one record; ``through`` is the last message it covers."""

    tenant_id: str
    thread_id: str
    user_id: str
    version: int = 1
    text: str
    through: str = Field(description="Message id of the newest message covered.")
    messages: int = Field(description="How many messages it covers.")
    seen: int = Field(0, description="The thread's message count, less the history window, when it was made.")
    updated_at: float
    expires_at: float | None = None


class TenantConfig(BaseModel):
    tenant_id: str
    retention_days: float | None = Field(None, gt=0, description="Memory expires this many days after its last write.")
    updated_at: float = 0.0


class Erasure(BaseModel):
    """What deleting a thread or a user removed, by kind of record."""

    threads: int = 0
    messages: int = 0
    requests: int = 0
    events: int = 0
    summaries: int = 0
    working_memory: int = 0
    other: int = 0


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


ModelStatus = Literal["candidate", "champion", "retired"]


class ModelVersion(BaseModel):
    """One trained version of a request-path model (``kind``: router, sentiment, ...).

    Models serve the whole deployment, not one tenant: their keys are the model kind.
    """

    kind: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    version: int = Field(0, ge=0, description="Assigned by the store when registered; 0 is the built-in model.")
    status: ModelStatus = "candidate"
    created_at: float
    artifact: str = Field(description="Where the artifact lives: a path under the data dir, or s3://bucket/key.")
    metrics: dict[str, float] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict, description="The training data snapshot: source, rows, sha256.")
    params: dict[str, Any] = Field(default_factory=dict, description="Hyperparameters.")
    note: str = ""
