"""A router learned from the agent specs alone: kernel ridge classification over TF-IDF.

Every text of every spec (name + description, each capability's name and description, every
example) is a training row labelled with its agent. The model is the closed-form ridge solution
in the dual, ``alpha = (K + lambda I)^-1 Y`` with the linear kernel ``K = X X^T``, collapsed to
one weight per (feature, agent) so a request costs one gather and a softmax. Probabilities are
calibrated with a temperature fitted on the exact leave-one-out scores of the training rows
(ridge gives them in closed form), so confidence means something before any traffic is seen.

Softmax only compares agents, so a message that resembles nothing (gibberish, a topic no spec
mentions) can still give one agent a high probability. The raw ridge score of the best agent is
the evidence itself (the regression target is 1 for the right agent): below ``min_evidence`` the
fallback answers. ``min_evidence`` is set from the training rows alone, as the
``EVIDENCE_QUANTILE`` quantile of their leave-one-out best scores.
"""

from __future__ import annotations

import numpy as np

from mastra.selection.base import AgentScore, Selection
from mastra.spec.registry import AgentRegistry
from mastra.text import SparseVector, TfidfSpace

RIDGE_LAMBDA = 0.3
EVIDENCE_QUANTILE = 1.0  # percent of (leave-one-out) training rows the evidence floor may reject
_TEMPERATURES = np.geomspace(0.005, 2.0, 120)


def _gram(vectors: list[SparseVector]) -> np.ndarray:
    """``X X^T`` for sparse rows (numpy only: scipy would add ~100 MB to the layer).

    Each feature adds the outer product of the rows it occurs in. Features are grouped by how many
    rows they occur in (``df``), so all features of one ``df`` are added in one vectorised step;
    only the few very common features (``df`` > 64) are added one by one.
    """
    n = len(vectors)
    feats = np.concatenate([v.indices for v in vectors])
    rows = np.concatenate([np.full(len(v.indices), i) for i, v in enumerate(vectors)])
    vals = np.concatenate([v.values for v in vectors]).astype(np.float64)
    order = np.argsort(feats, kind="stable")
    feats, rows, vals = feats[order], rows[order], vals[order]
    _, starts, df = np.unique(feats, return_index=True, return_counts=True)
    gram = np.zeros((n, n), dtype=np.float64)
    for d in np.unique(df):
        group = starts[df == d]
        if d <= 64:
            idx = group[:, None] + np.arange(d)  # (features, d) positions in the sorted arrays
            r, v = rows[idx], vals[idx]
            np.add.at(gram, (r[:, :, None], r[:, None, :]), v[:, :, None] * v[:, None, :])
        else:
            for s in group:
                r, v = rows[s : s + d], vals[s : s + d]
                gram[np.ix_(r, r)] += np.outer(v, v)
    return gram


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of ``softmax(scores / T)``."""
    best_t, best_nll = 1.0, np.inf
    for t in _TEMPERATURES:
        p = softmax(scores / t)[np.arange(len(labels)), labels]
        nll = -np.log(np.clip(p, 1e-12, None)).mean()
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


class RidgeRouter:
    """Routes a message to an agent; see the module docstring for the model."""

    name = "ridge-tfidf-v1"

    def __init__(
        self,
        space: TfidfSpace,
        agent_ids: list[str],
        fallback_id: str,
        weights: np.ndarray,
        temperature: float,
        min_evidence: float = 0.0,
    ) -> None:
        self.space = space
        self.agent_ids = agent_ids
        self.fallback_id = fallback_id
        self.weights = weights.astype(np.float32)
        self.temperature = temperature
        self.min_evidence = min_evidence

    @classmethod
    def train(cls, registry: AgentRegistry, space: TfidfSpace, *, ridge: float = RIDGE_LAMBDA) -> RidgeRouter:
        agent_ids = registry.ids
        texts: list[str] = []
        labels: list[int] = []
        for a, spec in enumerate(registry):
            rows = spec.routing_texts()
            texts.extend(rows)
            labels.extend([a] * len(rows))
        y = np.asarray(labels)
        vectors = space.matrix(texts)
        onehot = np.zeros((len(texts), len(agent_ids)))
        onehot[np.arange(len(texts)), y] = 1.0
        inverse = np.linalg.inv(_gram(vectors) + ridge * np.eye(len(texts)))
        alpha = inverse @ onehot
        # Leave-one-out scores in closed form: with H = K (K + lambda I)^-1 = I - lambda (K + lambda I)^-1,
        # the prediction for row i without row i is (S_i - H_ii Y_i) / (1 - H_ii).
        h_diag = 1.0 - ridge * np.diag(inverse)
        fitted = onehot - ridge * alpha
        loo = (fitted - h_diag[:, None] * onehot) / (1.0 - h_diag)[:, None]
        weights = np.zeros((len(space), len(agent_ids)))
        for v, a_row in zip(vectors, alpha, strict=True):
            weights[v.indices] += np.outer(v.values, a_row)
        in_scope = y != agent_ids.index(registry.fallback_id)
        min_evidence = float(np.percentile(loo[in_scope].max(axis=1), EVIDENCE_QUANTILE)) if in_scope.any() else 0.0
        return cls(space, agent_ids, registry.fallback_id, weights, fit_temperature(loo, y), min_evidence)

    def scores(self, message: str) -> np.ndarray:
        """Raw ridge score of each agent (about 1 for a clear match, about 0 for none)."""
        return self.space.vector(message).dot_rows(self.weights).astype(np.float64)

    def probabilities(self, message: str) -> np.ndarray:
        """Calibrated probability of each agent (in ``agent_ids`` order)."""
        return softmax(self.scores(message) / self.temperature)

    def route(self, message: str, *, floor: float, top_k: int = 5) -> Selection:
        scores = self.scores(message)
        probs = softmax(scores / self.temperature)
        order = np.argsort(-probs, kind="stable")
        ranked = [AgentScore(agent_id=self.agent_ids[i], confidence=round(float(probs[i]), 4)) for i in order[:top_k]]
        best = ranked[0]
        evidence = float(scores[order[0]])
        reason = None
        if best.agent_id == self.fallback_id:
            reason = "fallback agent scored best"
        elif evidence < self.min_evidence:
            reason = (
                f"too little evidence for any agent (best {best.agent_id!r} scores "
                f"{evidence:.2f} < {self.min_evidence:.2f})"
            )
        elif best.confidence < floor:
            reason = f"best agent {best.agent_id!r} below the confidence floor ({best.confidence:.2f} < {floor:.2f})"
        if reason is None:
            return Selection(
                agent_id=best.agent_id, confidence=best.confidence, ranked=ranked, router=self.name, topic=best.agent_id
            )
        forced = best.agent_id != self.fallback_id  # chosen because no agent fits: confidence = P(best is wrong)
        return Selection(
            agent_id=self.fallback_id,
            confidence=round(1.0 - best.confidence, 4) if forced else best.confidence,
            ranked=ranked,
            fallback=True,
            fallback_reason=reason,
            router=self.name,
            topic=self.fallback_id,  # no prototypes here: the topic is the chosen agent
        )
