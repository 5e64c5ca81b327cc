"""Agent memory over HTTP: a user's threads and messages, their working memory, and erasure.

Routes are plain ``def``: FastAPI runs them in its threadpool, so blocking store calls never stall
the event loop. Every call acts on the caller's tenant (its key's, or its JWT's): another tenant's
threads and users do not exist for it (404, or an empty page).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from mastra.api.deps import MemoryCaller, RuntimeDep
from mastra.api.schemas import (
    ErrorBody,
    MessagePage,
    MessagePublic,
    ThreadPage,
    ThreadPublic,
    WorkingMemoryPatch,
    WorkingMemoryPublic,
)
from mastra.errors import InvalidRequestError, NotFoundError
from mastra.models import ID_PATTERN
from mastra.runtime import Runtime
from mastra.storage.base import MAX_PAGE
from mastra.storage.models import Erasure, WorkingMemory, WorkingMemoryChange

threads = APIRouter(prefix="/v1/threads", tags=["memory"])
users = APIRouter(prefix="/v1/users", tags=["memory"])

UserId = Annotated[str, Path(pattern=ID_PATTERN, description="The user (the memory 'resource').")]
ThreadId = Annotated[str, Path(pattern=ID_PATTERN, description="The thread.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")]
Cursor = Annotated[str | None, Query(min_length=1, max_length=512, description="`next_cursor` of the previous page.")]

_E422: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "Bad ids, cursor or body; the message says why."}
}
_E404: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such thread."}}
_E503: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The store is unavailable; retry (see Retry-After)."}
}


# ---- threads ---------------------------------------------------------------------------------------
@threads.get("", response_model=ThreadPage, responses={**_E422, **_E503}, summary="A user's threads")
def list_threads(
    runtime: RuntimeDep,
    caller: MemoryCaller,
    user_id: Annotated[str, Query(pattern=ID_PATTERN, description="Whose threads.")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ThreadPage:
    """The user's threads, most recently updated first, a page at a time."""
    page = runtime.store.list_threads(caller.tenant_id, user_id, limit=limit, cursor=cursor)
    return ThreadPage(items=[ThreadPublic.of(t) for t in page.items], next_cursor=page.next_cursor)


@threads.get(
    "/{thread_id}/messages",
    response_model=MessagePage,
    responses={**_E404, **_E422, **_E503},
    summary="A thread's messages",
)
def list_messages(
    thread_id: ThreadId, runtime: RuntimeDep, caller: MemoryCaller, limit: Limit = 50, cursor: Cursor = None
) -> MessagePage:
    """The thread's messages, oldest first, a page at a time."""
    tenant = caller.tenant_id
    _require_thread(runtime, tenant, thread_id)
    page = runtime.store.list_messages(tenant, thread_id, limit=limit, cursor=cursor)
    return MessagePage(items=[MessagePublic.of(m) for m in page.items], next_cursor=page.next_cursor)


class MessageEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=100_000, description="The message's new text.")


@threads.patch(
    "/{thread_id}/messages/{message_id}",
    response_model=MessagePublic,
    responses={**_E404, **_E422, **_E503},
    summary="Edit a stored message (its embedding follows, in the same write)",
)
def edit_message(
    thread_id: ThreadId,
    message_id: Annotated[str, Path(pattern=ID_PATTERN, description="The message.")],
    body: MessageEdit,
    runtime: RuntimeDep,
    caller: MemoryCaller,
) -> MessagePublic:
    """Replace a message's text. Its embedding is recomputed and written with it, so semantic recall
    finds the message by what it says now, never by what it said."""
    tenant = caller.tenant_id
    _require_thread(runtime, tenant, thread_id)
    return MessagePublic.of(runtime.memory.edit_message(tenant, thread_id, message_id, body.content))


@threads.delete(
    "/{thread_id}",
    response_model=Erasure,
    responses={**_E404, **_E422, **_E503},
    summary="Delete a thread and everything stored with it",
)
def delete_thread(
    thread_id: ThreadId,
    runtime: RuntimeDep,
    caller: MemoryCaller,
    user_id: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="Delete only if this user owns it (else 404).")
    ] = None,
) -> Erasure:
    """Delete the thread with its messages (and so their embeddings), summary, requests and events;
    returns what was removed, by kind."""
    erased = runtime.memory.delete_thread(caller.tenant_id, thread_id, user_id=user_id)
    runtime.audit(caller, "thread.deleted", f"thread:{thread_id}", **erased.model_dump())
    return erased


# ---- users -----------------------------------------------------------------------------------------
@users.get(
    "/{user_id}/working-memory",
    response_model=WorkingMemoryPublic,
    responses={**_E422, **_E503},
    summary="A user's working memory (profile)",
)
def get_working_memory(
    user_id: UserId, runtime: RuntimeDep, caller: MemoryCaller, response: Response
) -> WorkingMemoryPublic:
    """The profile with its version and the declared fields as JSON Schema. A user with no profile
    yet is version 0 with no fields, not a 404. The ``ETag`` header is the version."""
    return _profile(runtime, runtime.store.get_working_memory(caller.tenant_id, user_id), response)


@users.patch(
    "/{user_id}/working-memory",
    response_model=WorkingMemoryPublic,
    responses={
        409: {"model": ErrorBody, "description": "If-Match is stale; `details.version` is the current version."},
        **_E422,
        **_E503,
    },
    summary="Update a user's working memory (JSON merge patch)",
)
def patch_working_memory(
    user_id: UserId,
    body: WorkingMemoryPatch,
    runtime: RuntimeDep,
    caller: MemoryCaller,
    response: Response,
    if_match: Annotated[
        str | None, Header(description="The version the change is based on: refused (409) if it moved.")
    ] = None,
) -> WorkingMemoryPublic:
    """Set fields (``null`` removes one). Without If-Match, concurrent patches of different fields
    all land; with it, the patch applies only to that version. Unknown fields and wrong types are a 422."""
    wm = runtime.memory.patch_working_memory(
        caller.tenant_id, user_id, body.fields, expected_version=_version(if_match)
    )
    return _profile(runtime, wm, response)


@users.get(
    "/{user_id}/working-memory/history",
    response_model=list[WorkingMemoryChange],
    responses={**_E422, **_E503},
    summary="Every change of a user's working memory",
)
def working_memory_history(user_id: UserId, runtime: RuntimeDep, caller: MemoryCaller) -> list[WorkingMemoryChange]:
    """Oldest first: each version's set and removed fields, and its source (``api`` or ``pipeline:<request>``)."""
    return runtime.store.working_memory_history(caller.tenant_id, user_id)


@users.delete(
    "/{user_id}",
    response_model=Erasure,
    responses={**_E422, **_E503},
    summary="Erase everything stored about a user",
)
def erase_user(user_id: UserId, runtime: RuntimeDep, caller: MemoryCaller) -> Erasure:
    """Threads, messages, embeddings, summaries, requests, events, working memory and its history.
    Idempotent: erasing again (or an unknown user) returns zero counts."""
    erased = runtime.memory.erase_user(caller.tenant_id, user_id)
    runtime.audit(caller, "user.erased", f"user:{user_id}", **erased.model_dump())
    return erased


# ---- helpers ---------------------------------------------------------------------------------------
def _require_thread(runtime: Runtime, tenant: str, thread_id: str) -> None:
    # An empty page would not tell "no messages" from "no thread": callers need the 404.
    thread = runtime.store.get_thread(tenant, thread_id)
    if thread is None or (thread.expires_at is not None and thread.expires_at <= runtime.store.clock()):
        raise NotFoundError(f"no thread {thread_id!r}", details={"thread_id": thread_id})


def _version(if_match: str | None) -> int | None:
    """The version in an If-Match header: ``3``, or as an entity tag (``"3"``, ``W/"3"``)."""
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not (raw.isascii() and raw.isdigit()):  # no sign, no spaces, no "*" ("any version" is the default)
        raise InvalidRequestError(
            f"If-Match: expected a working-memory version (a non-negative integer), got {if_match[:40]!r}",
            details={"if_match": if_match[:40]},
        )
    return int(raw)


def _profile(runtime: Runtime, wm: WorkingMemory, response: Response) -> WorkingMemoryPublic:
    response.headers["ETag"] = f'"{wm.version}"'
    return WorkingMemoryPublic.of(wm, runtime.memory.schema.json_schema())


# Included after the routes above are declared: include_router copies the routes it finds then.
router = APIRouter()
router.include_router(threads)
router.include_router(users)
