"""Feedback, implicit signals and outcomes: what the feedback loop stores and returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mastra.models import ID_PATTERN

Thumbs = Literal["up", "down"]


class FeedbackRequest(BaseModel):
    """``POST /v1/feedback``: a user's verdict on one answer (at least one of thumbs, rating, comment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    request_id: str = Field(pattern=ID_PATTERN, description="The answered request (``request_id`` of the response).")
    user_id: str = Field(pattern=ID_PATTERN, description="Who gives the feedback: the user who asked.")
    thumbs: Thumbs | None = None
    rating: int | None = Field(None, ge=1, le=5, description="1 (bad) to 5 (excellent).")
    comment: str | None = Field(None, min_length=1, max_length=4000)

    @model_validator(mode="after")
    def _something(self) -> FeedbackRequest:
        if self.thumbs is None and self.rating is None and self.comment is None:
            raise ValueError("give at least one of thumbs, rating or comment")
        return self


class CommentSentiment(BaseModel):
    label: str
    score: float = Field(ge=-1, le=1)


class FeedbackRecord(BaseModel):
    """Stored feedback, one per (tenant, request, user): a second submission replaces the first."""

    tenant_id: str
    request_id: str
    user_id: str
    thread_id: str
    thumbs: Thumbs | None = None
    rating: int | None = None
    comment: str | None = None
    comment_sentiment: CommentSentiment | None = None
    created_at: float
    updated_at: float
    expires_at: float | None = None


class FeedbackResult(BaseModel):
    """``POST /v1/feedback`` response."""

    request_id: str
    user_id: str
    thumbs: Thumbs | None
    rating: int | None
    comment: str | None
    comment_sentiment: CommentSentiment | None
    reward: float
    replaced: bool
    created_at: float
    updated_at: float


class FeedbackSummary(BaseModel):
    """The explicit feedback an outcome was scored on."""

    thumbs: Thumbs | None = None
    rating: int | None = None
    has_comment: bool = False
    comment_sentiment: float | None = None


class ImplicitSignals(BaseModel):
    """What the user's next message in the thread says about this answer."""

    next_request_id: str
    next_message_sentiment: float | None = Field(None, ge=-1, le=1)
    rephrased: bool | None = Field(None, description="The next message asks the same again (the answer missed).")
    similarity: float | None = Field(None, description="Cosine of the two user messages' embeddings.")


class Outcome(BaseModel):
    """One answered request's outcome: what served it, every signal about it, and its reward."""

    model_config = ConfigDict(protected_namespaces=())

    tenant_id: str
    request_id: str
    user_id: str
    thread_id: str
    agent_id: str = Field(description="The agent whose answer was kept.")
    topic: str = Field(description="``trace.selection.topic``, else the selected agent id.")
    prompt_ref: str | None = None
    router: str = ""
    sentiment_model: str = ""
    reflection_score: float | None = None
    feedback: FeedbackSummary | None = None
    implicit: ImplicitSignals | None = None
    reward: float = Field(ge=0, le=1)
    components: dict[str, float] = Field(default_factory=dict)
    revision: int = 0
    created_at: float
    updated_at: float
    expires_at: float | None = None

    @property
    def hour(self) -> int:
        """The arm-counter bucket: the hour the outcome was first assigned (fixed for its life)."""
        return int(self.created_at // 3600)


class OutcomeView(BaseModel):
    """``GET /v1/feedback/{request_id}``."""

    outcome: Outcome | None
    feedback: list[FeedbackRecord]
