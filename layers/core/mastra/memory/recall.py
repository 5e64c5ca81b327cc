"""Semantic recall: a user's earlier messages most similar to the request, with their neighbours.

Brute force over the user's stored vectors (int8, one matrix product). No vector index: on
DynamoDB the vectors come from one Query (thread scope: the thread's partition; user scope: GSI2,
the user's messages), which is fine up to a few thousand messages per user. ``benchmarks/memory.py``
measures where it stops being fine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from mastra.memory.vectors import cosines
from mastra.spec.models import RecallSettings
from mastra.storage.base import Store
from mastra.storage.models import Message

if TYPE_CHECKING:
    import numpy as np


class Recalled(BaseModel):
    message: Message
    score: float
    hit: bool = True  # False: a neighbour of a hit


def recall(
    store: Store,
    *,
    tenant_id: str,
    user_id: str,
    thread_id: str,
    query: np.ndarray,
    encoder: str,
    settings: RecallSettings,
    exclude: set[str],
) -> list[Recalled]:
    """The ``top_k`` most similar live messages (cosine ≥ ``min_score``), each followed by its
    ``neighbours``; ``exclude`` (the messages already in the context) never come back."""
    import numpy as np

    if settings.top_k <= 0:
        return []
    scope = thread_id if settings.scope == "thread" else None
    stored = [v for v in store.message_vectors(tenant_id, user_id, scope) if v.message_id not in exclude]
    if not stored:
        return []
    scores, kept = cosines([v.vector for v in stored], encoder, query)
    if not len(kept):
        return []
    k = min(settings.top_k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]  # O(n), then sort only the k
    order = top[np.argsort(-scores[top])]
    out: list[Recalled] = []
    seen = set(exclude)
    for i in order:
        score = float(scores[i])
        if score < settings.min_score:
            break
        hit = stored[int(kept[i])]
        around = store.messages_around(tenant_id, hit.thread_id, hit.message_id, settings.neighbours)
        for m in around:
            if m.message_id in seen or m.user_id != user_id:
                continue
            seen.add(m.message_id)
            out.append(Recalled(message=m, score=round(score, 4), hit=m.message_id == hit.message_id))
    return out
