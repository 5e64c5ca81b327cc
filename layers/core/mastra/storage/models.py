"""Records the stores keep. Every key starts with the tenant id."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

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


class Thread(BaseModel):
    tenant_id: str
    thread_id: str
    user_id: str
    created_at: float
    updated_at: float
    message_count: int = 0


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
