"""Response models of the API that are not domain models themselves."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mastra.spec.models import AgentSpec
from mastra.storage.models import Message, Thread, WorkingMemory


class AgentSummary(BaseModel):
    id: str
    name: str
    description: str
    fallback: bool
    capabilities: list[str]
    tools: list[str]
    provider: str
    model_id: str
    cost_tier: str
    tags: list[str]

    @classmethod
    def of(cls, spec: AgentSpec) -> AgentSummary:
        return cls(
            id=spec.id,
            name=spec.name,
            description=spec.description,
            fallback=spec.fallback,
            capabilities=[c.name for c in spec.capabilities],
            tools=spec.tools,
            provider=spec.model.provider,
            model_id=spec.model.model_id,
            cost_tier=spec.cost_tier,
            tags=spec.tags,
        )


class ErrorBody(BaseModel):
    """Every error response: a stable code, a readable reason, and details where useful."""

    error: str
    message: str
    details: dict[str, object] | list[object] | None = None


class Health(BaseModel):
    status: str
    version: str
    agents: int
    store: str


# ---- memory (``/v1/threads``, ``/v1/users``): public views, so tenant ids and embeddings never leave -----------------


class ThreadPublic(BaseModel):
    thread_id: str
    user_id: str
    created_at: float = Field(description="Unix time, seconds.")
    updated_at: float = Field(description="Unix time of the last message.")
    message_count: int
    expires_at: float | None = Field(None, description="Unix time after which it is gone (the tenant's retention).")

    @classmethod
    def of(cls, thread: Thread) -> ThreadPublic:
        return cls.model_validate(thread.model_dump(exclude={"tenant_id"}))


class ThreadPage(BaseModel):
    """A user's threads, most recently updated first; pass ``next_cursor`` back as ``cursor`` for more."""

    items: list[ThreadPublic]
    next_cursor: str | None = None


class MessagePublic(BaseModel):
    message_id: str = Field(description="Sorts in creation order.")
    thread_id: str
    user_id: str
    role: str = Field(description="user or assistant.")
    content: str
    request_id: str
    agent_id: str | None = None
    created_at: float
    expires_at: float | None = None

    @classmethod
    def of(cls, message: Message) -> MessagePublic:
        return cls.model_validate(message.model_dump(exclude={"tenant_id", "embedding"}))


class MessagePage(BaseModel):
    """A thread's messages, oldest first; pass ``next_cursor`` back as ``cursor`` for more."""

    items: list[MessagePublic]
    next_cursor: str | None = None


class WorkingMemoryPublic(BaseModel):
    """A user's profile. ``version`` 0 with no fields: nothing is known about them yet."""

    # ``schema`` is a (deprecated) BaseModel attribute: the field is ``json_schema``, named ``schema`` on the wire.
    model_config = ConfigDict(populate_by_name=True)

    user_id: str
    version: int = Field(description="Bumped by every change; send it as If-Match for a strict update.")
    fields: dict[str, Any]
    updated_at: float = Field(description="Unix time of the last change (0: never).")
    json_schema: dict[str, Any] = Field(alias="schema", description="The declared fields, as JSON Schema.")

    @classmethod
    def of(cls, wm: WorkingMemory, schema: dict[str, Any]) -> WorkingMemoryPublic:
        return cls(
            user_id=wm.user_id, version=wm.version, fields=wm.fields, updated_at=wm.updated_at, json_schema=schema
        )


class WorkingMemoryPatch(BaseModel):
    """A JSON merge patch (RFC 7386) of the profile: a value sets the field, ``null`` removes it."""

    model_config = ConfigDict(extra="forbid")

    fields: dict[str, Any] = Field(examples=[{"name": "Ana", "diet": ["vegetarian"], "city": None}])
