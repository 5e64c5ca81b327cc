"""``mastra eval injection``: precision, recall and false-positive rate of the input screen on labelled rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mastra.errors import InvalidRequestError
from mastra.screening.injection import THRESHOLD, score


def load_rows(path: Path) -> list[tuple[str, int]]:
    """``{"text", "label"}`` rows (label 1: injection or jailbreak); a clear error names a bad line."""
    rows = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append((str(row["text"]), int(row["label"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidRequestError(f'{path}:{no}: expected {{"text", "label"}} ({exc})') from exc
    return rows


def evaluate(rows: list[tuple[str, int]], threshold: float = THRESHOLD) -> dict[str, Any]:
    """precision, recall, fpr, f1 and counts at ``threshold``."""
    tp = fp = fn = tn = 0
    for text, label in rows:
        flagged = score(text).score >= threshold
        tp += flagged and label == 1
        fp += flagged and label == 0
        fn += not flagged and label == 1
        tn += not flagged and label == 0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "fpr": round(fp / (fp + tn), 4) if fp + tn else 0.0,
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "n": len(rows),
        "positives": tp + fn,
        "negatives": fp + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "threshold": threshold,
    }


def run(data: Path, *, as_json: bool) -> int:
    """The CLI's ``eval injection``: print the figures (JSON or a table)."""
    result = evaluate(load_rows(data))
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"  {'injection screen':<18} {'precision':>9} {'recall':>9} {'fpr':>9} {'f1':>9} {'n':>7}")
    print(
        f"  {'all':<18} {result['precision']:>9.4f} {result['recall']:>9.4f} {result['fpr']:>9.4f} "
        f"{result['f1']:>9.4f} {result['n']:>7}"
    )
    print(f"  (threshold {result['threshold']}; {result['positives']} injections, {result['negatives']} benign)")
    return 0
