"""Sentiment of the user's message: a label (negative/neutral/positive) and a score in [-1, 1]."""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports
from mastra.sentiment.base import Sentiment, SentimentModel

if TYPE_CHECKING:
    from mastra.sentiment.default import DefaultSentiment
    from mastra.sentiment.linear import LinearSentiment

__getattr__ = lazy_exports(
    __name__, {"DefaultSentiment": "mastra.sentiment.default", "LinearSentiment": "mastra.sentiment.linear"}
)
__all__ = ["DefaultSentiment", "LinearSentiment", "Sentiment", "SentimentModel"]
