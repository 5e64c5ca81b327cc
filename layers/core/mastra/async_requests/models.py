"""Queued requests: what ``POST /v1/requests`` accepts, what the queue carries, what ``GET`` returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mastra.models import ChatRequest, ChatResponse, RequestContext

Status = Literal["queued", "running", "succeeded", "failed"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed"})


class AsyncChatRequest(ChatRequest):
    """A chat request to run in the background, with an optional URL to call when it is done."""

    callback_url: str | None = Field(
        None,
        max_length=2048,
        description="Called (POST, signed with the tenant's callback secret in Mastra-Signature) when the "
        "request is done. https only on AWS (public addresses); locally also http to loopback.",
    )

    def chat_request(self) -> ChatRequest:
        return ChatRequest.model_validate(self.model_dump(exclude={"callback_url"}))


class QueuedRequest(BaseModel):
    """One queue message: the admitted request (ids fixed at admission, so a re-run is the same request)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    context: RequestContext
    callback_url: str | None = None

    @property
    def tenant_id(self) -> str:
        return self.context.tenant_id

    @property
    def request_id(self) -> str:
        return self.context.request_id


class RequestError(BaseModel):
    error: str = Field(description="The error code (as in the API's error bodies).")
    message: str
    retryable: bool = Field(False, description="A later run might succeed (a redriven message re-runs).")


class CallbackDelivery(BaseModel):
    """How the callback went."""

    url: str
    status: Literal["pending", "delivered", "failed"] = "pending"
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: float | None = None


class RequestStatus(BaseModel):
    """A queued request's record: its state and, when done, its response or error."""

    model_config = ConfigDict(extra="forbid")

    request_id: str
    tenant_id: str
    user_id: str
    thread_id: str
    status: Status = "queued"
    created_at: float
    updated_at: float
    runs: int = Field(0, description="Pipeline runs started (more than 1: it was re-run after a failure or crash).")
    result: ChatResponse | None = Field(None, description="The response (status succeeded).")
    error: RequestError | None = Field(None, description="Why it failed (status failed), or the last run's error.")
    callback: CallbackDelivery | None = None
    revision: int = Field(0, description="Optimistic-write counter (each stored change adds 1).")
    expires_at: float | None = Field(None, description="The record is deleted after this (the tenant's retention).")

    @property
    def done(self) -> bool:
        return self.status in TERMINAL


class RequestAccepted(BaseModel):
    """The answer to ``POST /v1/requests`` (202)."""

    request_id: str
    thread_id: str
    status: Status = "queued"
    status_url: str = Field(description="Poll this for the status and result.")
