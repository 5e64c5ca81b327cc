"""What sentiment analysis returns."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field

Label = Literal["negative", "neutral", "positive"]


class Sentiment(BaseModel):
    """``score`` runs from -1 (most negative) to 1 (most positive); ``label`` is neutral near 0."""

    label: Label
    score: float = Field(ge=-1, le=1)
    model: str = ""
    elapsed_ms: float = 0.0


def label_for(score: float, neutral_band: float) -> Label:
    """Neutral within ``neutral_band`` of 0, else the sign's label."""
    if abs(score) < neutral_band:
        return "neutral"
    return "positive" if score > 0 else "negative"


class SentimentModel(Protocol):
    name: str

    def analyze(self, text: str) -> Sentiment: ...
