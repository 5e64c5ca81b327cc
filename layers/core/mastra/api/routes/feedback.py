"""Feedback on answers: thumbs, a 1-5 rating and a comment, and each answer's outcome and reward.

Only the user who asked may rate an answer (409 otherwise): rewards steer which agent serves a kind
of request, so they must reflect the asker's experience, and feedback is erased with the asker.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from mastra.api.deps import FeedbackCaller, RuntimeDep
from mastra.api.idempotency import idempotent
from mastra.api.schemas import ErrorBody
from mastra.feedback.models import FeedbackRequest, FeedbackResult, OutcomeView
from mastra.models import ID_PATTERN

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such request."},
    422: {"model": ErrorBody, "description": "Bad body (e.g. no thumbs, rating or comment, rating outside 1-5)."},
    503: {"model": ErrorBody, "description": "The store is unavailable; retry."},
}


@router.post(
    "",
    response_model=FeedbackResult,
    responses={409: {"model": ErrorBody, "description": "The user is not the one who asked."}, **_ERRORS},
    summary="Give feedback on an answer (a second time replaces the first)",
)
@idempotent
def give_feedback(body: FeedbackRequest, runtime: RuntimeDep, caller: FeedbackCaller) -> FeedbackResult:
    """Store the feedback (the comment's sentiment is analysed) and re-score the answer: the reward
    and ``replaced`` (true when it replaced this user's earlier feedback on the request)."""
    return runtime.feedback.submit(caller.tenant_id, body)


@router.get("/{request_id}", response_model=OutcomeView, responses=_ERRORS, summary="An answer's outcome and feedback")
def get_feedback(
    request_id: Annotated[str, Path(pattern=ID_PATTERN, description="The answered request.")],
    runtime: RuntimeDep,
    caller: FeedbackCaller,
) -> OutcomeView:
    """The outcome (agent, topic, prompt version, signals, reward, revision) and the feedback given."""
    return runtime.feedback.get(caller.tenant_id, request_id)
