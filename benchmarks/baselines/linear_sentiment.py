"""Sentiment from a logistic regression over hashed word 1-2-grams.

The weights ship with the package (``sst2_linear.npz``, derived from SST-2). This was the default
before the shared encoder; it is kept as the baseline that benchmarks compare against.
The model is binary; a message whose probability of being positive lies within ``neutral_band``
of 0.5 is labelled neutral, which is what most requests to an assistant are.
"""

from __future__ import annotations

import math
import zlib
from itertools import pairwise
from pathlib import Path

import numpy as np

from mastra.sentiment.base import Sentiment, label_for
from mastra.text import words

DEFAULT_MODEL = Path(__file__).with_name("sst2_linear.npz")


def hashed_features(text: str, bits: int) -> list[int]:
    """Bucket ids of the word unigrams and bigrams of ``text`` (crc32: stable across processes)."""
    tokens = words(text)
    grams = [*tokens, *(f"{a} {b}" for a, b in pairwise(tokens))]
    mask = (1 << bits) - 1
    return sorted({zlib.crc32(g.encode()) & mask for g in grams})


class LinearSentiment:
    def __init__(self, weights: np.ndarray, bias: float, bits: int, neutral_band: float, name: str) -> None:
        self.weights = weights.astype(np.float32)
        self.bias = bias
        self.bits = bits
        self.neutral_band = neutral_band
        self.name = name

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL) -> LinearSentiment:
        with np.load(path) as f:
            return cls(f["weights"], float(f["bias"]), int(f["bits"]), float(f["neutral_band"]), str(f["name"]))

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            bits=self.bits,
            neutral_band=self.neutral_band,
            name=self.name,
        )

    def probability(self, text: str) -> float:
        """P(positive) for ``text``."""
        idx = hashed_features(text, self.bits)
        z = self.bias + (float(self.weights[idx].sum()) / math.sqrt(len(idx)) if idx else 0.0)
        return 1.0 / (1.0 + math.exp(-z))

    def analyze(self, text: str) -> Sentiment:
        score = round(2.0 * self.probability(text) - 1.0, 4)
        return Sentiment(label=label_for(score, self.neutral_band), score=score, model=self.name)
