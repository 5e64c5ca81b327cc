"""Precision, recall and F1 of the detector per entity type on labelled rows (``mastra eval pii``).

Rows are ``{"text", "spans": [{"start", "end", "type"}]}``. Matching is by overlap, per type:

- TP (recall side): a gold span of type T that overlaps at least one predicted span of type T;
- FN: a gold span of type T that overlaps no predicted span of type T;
- TP (precision side): a predicted span of type T that overlaps at least one gold span of type T;
- FP: a predicted span of type T that overlaps no gold span of type T.

``precision = TP_pred / (TP_pred + FP)``, ``recall = TP_gold / (TP_gold + FN)``, ``f1`` their
harmonic mean, ``n`` the number of gold spans of the type (``predicted`` the number of predicted
ones). A type with no predictions has precision 1.0 only if it has no gold spans either (else 0.0).
PERSON and LOCATION are reported from the gold data but never predicted (no NER model offline).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mastra.privacy.detect import detect
from mastra.privacy.entities import Span

#: The types ``mastra eval pii`` reports, in this order (others found in the data are appended).
REPORTED = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "SSN", "IP_ADDRESS", "NATIONAL_ID", "SECRET", "PERSON", "LOCATION")


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("text"), str) or not isinstance(row.get("spans", []), list):
            raise ValueError(f"{path}:{i}: a row needs 'text' (string) and 'spans' (list)")
        rows.append(row)
    return rows


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate(
    rows: Iterable[dict[str, Any]], predict: Callable[[str], list[Span]] = detect
) -> dict[str, dict[str, float | int]]:
    """``{type: {"precision", "recall", "f1", "n", "predicted"}}`` over ``rows``."""
    counts: dict[str, dict[str, int]] = {}

    def c(t: str) -> dict[str, int]:
        return counts.setdefault(t, {"tp_gold": 0, "fn": 0, "tp_pred": 0, "fp": 0})

    for row in rows:
        text = row["text"]
        gold = [(int(s["start"]), int(s["end"]), str(s["type"])) for s in row.get("spans", [])]
        pred = [(s.start, s.end, s.type) for s in predict(text)]
        for gs, ge, gt in gold:
            hit = any(pt == gt and _overlaps((gs, ge), (ps, pe)) for ps, pe, pt in pred)
            c(gt)["tp_gold" if hit else "fn"] += 1
        for ps, pe, pt in pred:
            hit = any(gt == pt and _overlaps((gs, ge), (ps, pe)) for gs, ge, gt in gold)
            c(pt)["tp_pred" if hit else "fp"] += 1
    order = [t for t in REPORTED if t in counts] + sorted(set(counts) - set(REPORTED))
    out: dict[str, dict[str, float | int]] = {}
    for t in order:
        k = counts[t]
        n, predicted = k["tp_gold"] + k["fn"], k["tp_pred"] + k["fp"]
        precision = k["tp_pred"] / predicted if predicted else (1.0 if n == 0 else 0.0)
        recall = k["tp_gold"] / n if n else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[t] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "n": n,
            "predicted": predicted,
        }
    return out


def table(result: dict[str, dict[str, float | int]]) -> str:
    lines = [f"{'type':<12} {'precision':>9} {'recall':>7} {'f1':>7} {'n':>5} {'predicted':>9}"]
    for t, m in result.items():
        lines.append(
            f"{t:<12} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>7.3f} {m['n']:>5} {m['predicted']:>9}"
        )
    return "\n".join(lines)
