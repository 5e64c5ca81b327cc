"""User feedback, implicit signals, outcomes and rewards: what the bandit and retraining learn from."""

from mastra.feedback.models import (
    CommentSentiment,
    FeedbackRecord,
    FeedbackRequest,
    FeedbackResult,
    FeedbackSummary,
    ImplicitSignals,
    Outcome,
    OutcomeView,
)
from mastra.feedback.reward import Reward, Signals, reward_of
from mastra.feedback.service import FeedbackService
from mastra.feedback.store import ArmBucket, FeedbackStore

__all__ = [
    "ArmBucket",
    "CommentSentiment",
    "FeedbackRecord",
    "FeedbackRequest",
    "FeedbackResult",
    "FeedbackService",
    "FeedbackStore",
    "FeedbackSummary",
    "ImplicitSignals",
    "Outcome",
    "OutcomeView",
    "Reward",
    "Signals",
    "reward_of",
]
