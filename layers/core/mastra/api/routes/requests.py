"""Async requests: queue a chat request (202 at once), then poll its status or get a callback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from mastra.api.deps import RuntimeDep, require
from mastra.api.idempotency import idempotent
from mastra.api.schemas import ErrorBody
from mastra.async_requests.models import AsyncChatRequest, RequestAccepted, RequestStatus
from mastra.models import ID_PATTERN
from mastra.security.principal import Principal

router = APIRouter(prefix="/v1/requests", tags=["requests"])

ChatCaller = Annotated[Principal, Depends(require("chat"))]
_ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The store or the queue is unavailable; retry."},
}


@router.post(
    "",
    status_code=202,
    response_model=RequestAccepted,
    responses={
        409: {"model": ErrorBody, "description": "The thread belongs to another user."},
        422: {"model": ErrorBody, "description": "Bad body, or a callback_url that may not be called (the reason)."},
        429: {"model": ErrorBody, "description": "The thread has used its budget."},
        **_ERRORS,
    },
    summary="Queue a message; answered in the background",
)
@idempotent
def submit_request(
    body: AsyncChatRequest, runtime: RuntimeDep, caller: ChatCaller, response: Response
) -> RequestAccepted:
    """Admit the request (thread ownership and budget are checked now) and queue it: 202 with its id.
    Poll ``GET /v1/requests/{id}``; with ``callback_url``, the finished record is also POSTed there,
    signed with the tenant's callback secret (``Mastra-Signature``)."""
    status = runtime.async_requests.submit(body, caller.tenant_id)
    url = f"/v1/requests/{status.request_id}"
    response.headers["Location"] = url
    return RequestAccepted(
        request_id=status.request_id, thread_id=status.thread_id, status=status.status, status_url=url
    )


@router.get(
    "/{request_id}",
    response_model=RequestStatus,
    response_model_exclude={"revision", "expires_at"},
    responses={404: {"model": ErrorBody, "description": "No such request (for this tenant)."}, **_ERRORS},
    summary="A queued request's status, and its response or error when done",
)
def get_request(
    request_id: Annotated[str, Path(pattern=ID_PATTERN, description="The id POST /v1/requests returned.")],
    runtime: RuntimeDep,
    caller: ChatCaller,
) -> RequestStatus:
    """``queued``, ``running``, ``succeeded`` (with ``result``, the chat response) or ``failed``
    (with ``error``), and how the callback went."""
    return runtime.async_requests.get(caller.tenant_id, request_id)
