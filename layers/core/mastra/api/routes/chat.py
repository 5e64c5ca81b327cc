from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from mastra.api.deps import ChatCaller, RuntimeDep
from mastra.api.idempotency import idempotent
from mastra.api.schemas import ErrorBody
from mastra.models import ChatRequest, ChatResponse

router = APIRouter(prefix="/v1", tags=["chat"])


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={409: {"model": ErrorBody}, 422: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    summary="Answer a message through the whole pipeline",
)
@idempotent
async def chat(body: ChatRequest, runtime: RuntimeDep, caller: ChatCaller) -> ChatResponse:
    """Select an agent, run it, analyse sentiment, reflect (retrying once if the answer is weak),
    remember the turn, and return the answer with its trace."""
    return await run_in_threadpool(runtime.chat, body, tenant_id=caller.tenant_id)
