"""Sentiment from the shared message encoder: a two-way head, neutral when it is unsure.

Version 0 is the encoder's own sentiment head (fine-tuned with it on SST-2; its logits come out
of the same ONNX pass that routing uses). A trained version is a logistic head over the
embedding (:mod:`mastra.training.sentiment_head`). Either way the score is
``P(positive) - P(negative)`` in [-1, 1], and the label is neutral when the more likely side's
probability is below ``neutral_pmax`` (binary training data has no neutral class: low margin
stands for it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mastra.encoder import Encoding
from mastra.sentiment.base import Label, Sentiment

HEAD_FILE = "sentiment.json"
BUILTIN = Path(__file__).with_name("builtin")  # version 0: the encoder's own head


@dataclass
class SentimentHead:
    neutral_pmax: float
    encoder: str  # digest of the encoder it reads
    weights: np.ndarray | None = None  # (dim,) logistic head over the embedding; None: the encoder's head
    bias: float = 0.0
    name: str = "encoder-sentiment-v1"

    def p_positive(self, encodings: list[Encoding]) -> np.ndarray:
        if self.weights is None:
            logits = np.stack([e.sentiment_logits for e in encodings]).astype(np.float64)
            return 1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 1]))
        embeddings = np.stack([e.embedding for e in encodings]).astype(np.float64)
        return 1.0 / (1.0 + np.exp(-(embeddings @ self.weights + self.bias)))  # type: ignore[no-any-return]

    def label(self, p: float) -> Label:
        if max(p, 1 - p) < self.neutral_pmax:
            return "neutral"
        return "positive" if p > 0.5 else "negative"

    def analyze(self, encoding: Encoding) -> Sentiment:
        p = float(self.p_positive([encoding])[0])
        return Sentiment(label=self.label(p), score=round(2 * p - 1, 4), model=self.name)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        head = {
            "name": self.name,
            "neutral_pmax": self.neutral_pmax,
            "encoder": self.encoder,
            "weights": None if self.weights is None else [round(float(w), 6) for w in self.weights],
            "bias": self.bias,
        }
        (directory / HEAD_FILE).write_text(json.dumps(head))

    @classmethod
    def load(cls, directory: Path) -> SentimentHead:
        head = json.loads((directory / HEAD_FILE).read_text())
        weights = None if head.get("weights") is None else np.asarray(head["weights"], dtype=np.float64)
        return cls(
            neutral_pmax=float(head["neutral_pmax"]),
            encoder=str(head["encoder"]),
            weights=weights,
            bias=float(head.get("bias", 0.0)),
            name=str(head.get("name", "encoder-sentiment-v1")),
        )
