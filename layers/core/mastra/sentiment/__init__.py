"""Sentiment of the user's message: a label (negative/neutral/positive) and a score in [-1, 1]."""

from mastra.sentiment.base import Sentiment, SentimentModel

__all__ = ["Sentiment", "SentimentModel"]
