"""A TF-IDF vector space over :func:`mastra.text.featurize` features, in plain numpy.

Vectors are sparse (indices + values), sublinear in term frequency and L2-normalised, so a dot
product is a cosine similarity. Features never seen at fit time are dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from mastra.text.features import featurize

if TYPE_CHECKING:  # numpy.typing costs ~70 ms of import: never at run time
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]
    IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class SparseVector:
    """A sparse, L2-normalised vector: ``values[k]`` is the weight of feature ``indices[k]``."""

    indices: IntArray
    values: FloatArray

    def dot(self, other: SparseVector) -> float:
        """Cosine similarity with another vector of the same space."""
        weights = dict(zip(other.indices.tolist(), other.values.tolist(), strict=True))
        return float(
            sum(v * weights.get(i, 0.0) for i, v in zip(self.indices.tolist(), self.values.tolist(), strict=True))
        )

    def dot_rows(self, matrix: FloatArray) -> FloatArray:
        """``self @ matrix`` for a dense ``(n_features, k)`` matrix."""
        if not len(self.indices):
            return np.zeros(matrix.shape[1], dtype=np.float32)
        return self.values @ matrix[self.indices]


class TfidfSpace:
    """Vocabulary and inverse document frequencies fitted on a corpus of short texts."""

    _CACHE_SIZE = 2048  # one request vectorises its message in several steps; keep recent ones

    def __init__(self, vocab: dict[str, int], idf: FloatArray, *, chars: bool = True) -> None:
        self.vocab = vocab
        self.idf = idf
        self.chars = chars
        self._cache: dict[str, SparseVector] = {}

    def __getstate__(self) -> dict[str, object]:
        return {"vocab": self.vocab, "idf": self.idf, "chars": self.chars}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["vocab"], state["idf"], chars=bool(state["chars"]))  # type: ignore[misc]

    @classmethod
    def fit(cls, texts: Iterable[str], *, chars: bool = True) -> TfidfSpace:
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            df.update(featurize(text, chars=chars).keys())
            n += 1
        vocab = {f: i for i, f in enumerate(sorted(df))}
        idf = np.empty(len(vocab), dtype=np.float32)
        for f, i in vocab.items():
            idf[i] = math.log((1 + n) / (1 + df[f])) + 1.0
        return cls(vocab, idf, chars=chars)

    def __len__(self) -> int:
        return len(self.vocab)

    def vector(self, text: str) -> SparseVector:
        """The vector of ``text`` (cached; vectors are immutable in practice: do not write to them)."""
        vec = self._cache.get(text)
        if vec is None:
            if len(self._cache) >= self._CACHE_SIZE:
                self._cache.clear()
            vec = self._cache[text] = self.vector_from(featurize(text, chars=self.chars))
        return vec

    def vector_from(self, counts: Counter[str]) -> SparseVector:
        n = len(counts)
        idx = np.fromiter(map(self.vocab.get, counts, repeat(-1)), dtype=np.int32, count=n)
        keep = idx >= 0
        indices = idx[keep]
        tf = np.fromiter(counts.values(), dtype=np.float32, count=n)[keep]
        values = ((1.0 + np.log(tf)) * self.idf[indices]).astype(np.float32, copy=False)
        norm = float(np.sqrt(values @ values))
        if norm > 0:
            values /= norm
        return SparseVector(indices, values)

    def matrix(self, texts: list[str]) -> list[SparseVector]:
        return [self.vector(t) for t in texts]
