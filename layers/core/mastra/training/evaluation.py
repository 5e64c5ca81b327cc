"""Metrics that `mastra eval` prints, for any labelled JSONL file in the shared data format."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mastra.errors import InvalidRequestError
from mastra.selection.base import Selection

OOS = "oos"  # the label of a request no agent fits


def per_class(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall and support per label."""
    out: dict[str, dict[str, float]] = {}
    for label in sorted(set(truth) | set(predicted)):
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == label)
        guessed = sum(1 for p in predicted if p == label)
        actual = sum(1 for t in truth if t == label)
        out[label] = {
            "precision": round(tp / guessed, 4) if guessed else 0.0,
            "recall": round(tp / actual, 4) if actual else 0.0,
            "n": float(actual),
        }
    return out


def router_metrics(route: Callable[[str], Selection], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rows ``{"text", "domain"}`` (the agent id; ``oos``: no agent fits). A request sent to the
    fallback counts as ``oos``; a rejected in-scope request counts as wrong."""
    try:
        texts, truth = [str(r["text"]) for r in rows], [str(r["domain"]) for r in rows]
    except KeyError as exc:
        raise InvalidRequestError(f'router rows are {{"text": ..., "domain": ...}}: missing {exc}') from None
    if not rows:
        raise InvalidRequestError("no rows to evaluate")
    started = time.perf_counter()
    selections = [route(text) for text in texts]
    elapsed = time.perf_counter() - started
    predicted = [OOS if s.fallback or s.agent_id is None else s.agent_id for s in selections]
    pairs = list(zip(truth, predicted, strict=True))
    ins = [(t, p) for t, p in pairs if t != OOS]
    oos = [(t, p) for t, p in pairs if t == OOS]
    return {
        "n": len(rows),
        "accuracy": round(sum(t == p for t, p in pairs) / len(pairs), 4),
        "in_scope_accuracy": round(sum(t == p for t, p in ins) / len(ins), 4) if ins else None,
        "oos_recall": round(sum(p == OOS for _, p in oos) / len(oos), 4) if oos else None,
        "ece": calibration_error(selections, truth),
        "ms_per_item": round(elapsed * 1000 / len(rows), 4),
        "per_class": per_class(truth, predicted),
    }


def calibration_error(selections: Sequence[Selection], truth: Sequence[str]) -> float | None:
    """Expected calibration error of "the best-ranked agent is right" over every row (an ``oos``
    row's best agent is always wrong). A fallback's confidence is 1 - the best agent's, see
    :class:`Selection`."""
    from mastra.selection.fit import expected_calibration_error

    pairs = [(s, t) for s, t in zip(selections, truth, strict=True) if s.ranked]
    if not pairs:
        return None
    confidence = np.array([1.0 - s.confidence if s.fallback else s.confidence for s, _ in pairs])
    correct = np.array([s.ranked[0].agent_id == t for s, t in pairs], dtype=float)
    return expected_calibration_error(confidence, correct)
