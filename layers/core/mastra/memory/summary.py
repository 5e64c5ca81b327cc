"""Extractive thread summaries: the messages most typical of a thread's older part.

Offline and deterministic: each message already has its embedding, so the summary is the few
messages closest to the centroid of everything being summarised, picked with maximal marginal
relevance (so they do not all say the same thing), in the order they were said.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MMR_LAMBDA = 0.7  # weight of typicality against novelty
LINE_CHARS = 200


def pick(matrix: np.ndarray, k: int) -> list[int]:
    """Row indices of ``matrix`` (unit vectors) for a ``k``-item summary, in row order."""
    import numpy as np

    n = matrix.shape[0]
    if n <= k:
        return list(range(n))
    centroid = matrix.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    typical = matrix @ centroid
    chosen: list[int] = []
    closest = np.full(n, -1.0, dtype=np.float32)  # each row's highest similarity to a chosen row
    for _ in range(k):
        score = MMR_LAMBDA * typical - (1 - MMR_LAMBDA) * closest
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        closest = np.maximum(closest, matrix @ matrix[best])
    return sorted(chosen)


def render(lines: list[tuple[str, str]], covered: int) -> str:
    """``(role, content)`` pairs as the summary text."""
    body = "\n".join(f"- {role}: {_clip(content)}" for role, content in lines)
    return f"Earlier in this conversation ({covered} messages), in brief:\n{body}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LINE_CHARS else text[: LINE_CHARS - 1].rsplit(" ", 1)[0] + "…"
