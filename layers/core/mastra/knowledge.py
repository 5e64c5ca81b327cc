"""Search over an agent's knowledge base (the passages of its spec) in the shared TF-IDF space.

A passage's score blends how similar the query is to the passage itself and to the ways users ask
for it (its title and ``questions``, and the description and examples of the capability it
answers; see ``AgentSpec.passage_questions``): passages are written in answer words, questions in
asking words, and the spec has both. The question side is the mean of the best ``TOP_QUESTIONS``
matches, so one lucky example does not decide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mastra.spec.models import Passage
from mastra.text import SparseVector, TfidfSpace

#: Weight of the passage text against the questions asked for it.
TEXT_WEIGHT = 0.5
TOP_QUESTIONS = 3


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    score: float


class _Columns:
    """Sparse vectors as columns of a feature-major sparse matrix (CSR over features).

    A query multiplies only the rows of its own features: one gather and one ``bincount``. Storage
    is the non-zeros only (questions are ~3% dense over the features an agent uses).
    """

    def __init__(self, vectors: list[SparseVector]) -> None:
        self.n = len(vectors)
        if vectors:
            feats = np.concatenate([v.indices for v in vectors])
            cols = np.concatenate([np.full(len(v.indices), j, dtype=np.int32) for j, v in enumerate(vectors)])
            vals = np.concatenate([v.values for v in vectors])
        else:
            feats, cols, vals = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))
        order = np.argsort(feats, kind="stable")
        feats, self.cols, self.vals = feats[order], cols[order], vals[order].astype(np.float32)
        self.features, starts = np.unique(feats, return_index=True)
        self.indptr = np.append(starts, len(feats)).astype(np.int64)

    def scores(self, query: SparseVector) -> np.ndarray:
        pos = np.searchsorted(self.features, query.indices)
        pos = np.minimum(pos, len(self.features) - 1) if len(self.features) else pos
        keep = (self.features[pos] == query.indices) if len(self.features) else np.zeros(len(pos), bool)
        rows, weights = pos[keep], query.values[keep]
        starts, lengths = self.indptr[rows], self.indptr[rows + 1] - self.indptr[rows]
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self.n, dtype=np.float32)
        # Positions of every non-zero in the selected rows, without a Python loop.
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        contrib = np.repeat(weights, lengths) * self.vals[offsets]
        return np.bincount(self.cols[offsets], weights=contrib, minlength=self.n).astype(np.float32)


class KnowledgeIndex:
    def __init__(self, space: TfidfSpace, passages: list[Passage], questions: dict[str, list[str]] | None = None):
        self.passages = passages
        questions = questions or {}
        self._texts = _Columns([space.vector(f"{p.title}. {p.title}. {p.text}") for p in passages])
        per_passage = [questions.get(p.id) or [p.title] for p in passages]
        asked = [q for qs in per_passage for q in qs]
        self._questions = _Columns([space.vector(q) for q in asked])
        # Row j lists passage j's question columns, padded with len(asked) (a -inf sentinel column).
        width = max((len(qs) for qs in per_passage), default=0)
        self._slots = np.full((len(passages), width), len(asked), dtype=np.int64)
        start = 0
        for j, qs in enumerate(per_passage):
            self._slots[j, : len(qs)] = np.arange(start, start + len(qs))
            start += len(qs)
        self._counts = np.array([min(len(qs), TOP_QUESTIONS) for qs in per_passage], dtype=np.float32)

    def __len__(self) -> int:
        return len(self.passages)

    def scores(self, query: SparseVector) -> np.ndarray:
        text = self._texts.scores(query)
        sims = np.append(self._questions.scores(query), np.float32(-np.inf))[self._slots]
        k = min(TOP_QUESTIONS, sims.shape[1])
        top = -np.partition(-sims, k - 1, axis=1)[:, :k]
        asked = np.where(np.isfinite(top), top, 0.0).sum(axis=1) / self._counts
        return TEXT_WEIGHT * text + (1 - TEXT_WEIGHT) * asked  # type: ignore[no-any-return]

    def search(self, query: SparseVector, k: int = 3) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first."""
        if not self.passages:
            return []
        scores = self.scores(query)
        top = np.argsort(-scores, kind="stable")[:k]
        return [Hit(self.passages[i], float(scores[i])) for i in top]
