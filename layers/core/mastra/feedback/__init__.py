"""User feedback, implicit signals, outcomes and rewards: what the bandit and retraining learn from.

Exports are lazy: the CLI wires ``mastra feedback`` at start-up and must not pay for the models.
"""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports

if TYPE_CHECKING:
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

__getattr__ = lazy_exports(
    __name__,
    {
        "ArmBucket": "mastra.feedback.store",
        "CommentSentiment": "mastra.feedback.models",
        "FeedbackRecord": "mastra.feedback.models",
        "FeedbackRequest": "mastra.feedback.models",
        "FeedbackResult": "mastra.feedback.models",
        "FeedbackService": "mastra.feedback.service",
        "FeedbackStore": "mastra.feedback.store",
        "FeedbackSummary": "mastra.feedback.models",
        "ImplicitSignals": "mastra.feedback.models",
        "Outcome": "mastra.feedback.models",
        "OutcomeView": "mastra.feedback.models",
        "Reward": "mastra.feedback.reward",
        "Signals": "mastra.feedback.reward",
        "reward_of": "mastra.feedback.reward",
    },
)
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
