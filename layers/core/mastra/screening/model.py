"""A small learned screen: logistic regression over hashed character and word n-grams (numpy only).

The patterns (:mod:`mastra.screening.patterns`) name attacks; this model generalises over how
they are worded (other languages, new personas, paraphrases) from labelled rows. Features are
character 3-5-grams within words and word 1-2-grams of the normalised message, hashed (CRC-32)
into :data:`DIM` buckets and L2-normalised; the model is one weight per bucket plus a bias, stored
as float16 in ``injection_model.npz`` next to this file (trained by :mod:`mastra.screening.train`).
Deterministic and fast (tens of microseconds for a typical message).
"""

from __future__ import annotations

import math
import re
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 1 << 17
#: Longer messages are scored on their head and tail (the n-gram count grows with length).
MAX_CHARS = 3000
#: A long text is scored window by window (the largest probability counts).
WINDOW = 240
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+")
MODEL_PATH = Path(__file__).with_name("injection_model.npz")


def features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Bucket indices and L2-normalised counts of ``text``'s n-grams (text already normalised)."""
    if len(text) > MAX_CHARS:  # head and tail: a jailbreak's preamble or its payload sits at either end
        text = text[: MAX_CHARS // 2] + " " + text[-MAX_CHARS // 2 :]
    counts: dict[int, float] = {}
    tokens = text.split()
    for word in tokens:
        padded = f" {word} "
        for n in (3, 4, 5):
            for i in range(len(padded) - n + 1):
                h = zlib.crc32(padded[i : i + n].encode()) % DIM
                counts[h] = counts.get(h, 0.0) + 1.0
    for i, word in enumerate(tokens):
        h = zlib.crc32(b"w:" + word.encode()) % DIM
        counts[h] = counts.get(h, 0.0) + 1.0
        if i + 1 < len(tokens):
            h = zlib.crc32(f"b:{word} {tokens[i + 1]}".encode()) % DIM
            counts[h] = counts.get(h, 0.0) + 1.0
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    val = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    return idx, val / np.float32(np.sqrt((val * val).sum()))


def windows(text: str, size: int = WINDOW) -> list[str]:
    """``text`` as sentences merged into pieces of at most ``size`` characters (one piece if short).

    An attack sentence padded with filler keeps a window of its own, so the filler cannot dilute it.
    """
    if len(text) <= size:
        return [text]
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS // 2] + " " + text[-MAX_CHARS // 2 :]
    pieces: list[str] = []
    for sentence in _SENTENCE.split(text):
        while len(sentence) > size:  # a run-on "sentence": cut at a space
            cut = sentence.rfind(" ", size // 2, size)
            cut = cut if cut > 0 else size
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if sentence:
            pieces.append(sentence)
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) + 1 + len(piece) <= size:
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


class InjectionModel:
    def __init__(self, weights: np.ndarray, bias: float) -> None:
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)

    def probability(self, text: str) -> float:
        """The probability of an injection; a long text's is its most suspicious window's (padding a
        message with filler must not dilute an attack in it)."""
        return max(self._probability(chunk) for chunk in windows(text))

    def _probability(self, text: str) -> float:
        idx, val = features(text)
        z = self.bias + float(self.weights[idx] @ val) if len(idx) else self.bias
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def save(self, path: Path = MODEL_PATH) -> None:
        np.savez_compressed(path, weights=self.weights.astype(np.float16), bias=np.array([self.bias]))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> InjectionModel:
        with np.load(path) as data:
            return cls(data["weights"], float(data["bias"][0]))


@lru_cache(maxsize=1)
def shipped() -> InjectionModel | None:
    """The model shipped with the package (None if it was not trained: patterns alone then)."""
    return InjectionModel.load() if MODEL_PATH.exists() else None
