"""Sentiment of the user's message: a label (negative/neutral/positive) and a score in [-1, 1]."""

from mastra.sentiment.base import Sentiment, SentimentModel
from mastra.sentiment.default import DefaultSentiment
from mastra.sentiment.linear import LinearSentiment

__all__ = ["DefaultSentiment", "LinearSentiment", "Sentiment", "SentimentModel"]
