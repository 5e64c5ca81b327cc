"""Train the injection model: ``python -m mastra.screening.train [--data FILE ...] [--negatives FILE]``.

Rows ``{"text", "label"}`` (the dev set) plus ordinary requests as negatives (CLINC150's training
split by default), weighted so both classes count equally. Full-batch gradient descent with Adam
and L2 on the hashed features (numpy only, deterministic: no sampling). Writes
``injection_model.npz`` next to :mod:`mastra.screening.model` and prints the training figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

import numpy as np

from mastra.screening.model import DIM, MODEL_PATH, InjectionModel, features
from mastra.screening.normalise import views

#: The model's operating point: its probability is shifted so that this raw probability reads 0.5.
OPERATING_POINT = 0.7
#: Total weight of injections, hard benign rows and ordinary requests in the loss.
GROUP_WEIGHTS = {0: 0.5, 1: 0.25, 2: 0.25}


def text_of(message: str) -> str:
    """What the model reads: the first views joined (as :func:`mastra.screening.injection.score` does)."""
    return " ".join(views(message)[:3])


def fit(
    texts: list[str],
    labels: list[int],
    groups: list[int],
    *,
    epochs: int = 300,
    l2: float = 1e-4,
    lr: float = 0.05,
) -> InjectionModel:
    """Logistic regression; each ``groups`` value (0: injections, 1: hard benign rows, 2: ordinary
    requests) weighs :data:`GROUP_WEIGHTS` in total, however many rows it has: the few hard benign
    rows ("ignore the last email") must not drown among thousands of easy ones."""
    rows = [features(text_of(t)) for t in texts]
    lengths = np.array([len(i) for i, _ in rows])
    row_of = np.repeat(np.arange(len(rows)), lengths)
    idx = np.concatenate([i for i, _ in rows])
    val = np.concatenate([v for _, v in rows]).astype(np.float64)
    y = np.array(labels, dtype=np.float64)
    g = np.array(groups)
    sample_w = np.zeros(len(y))
    for group, share in GROUP_WEIGHTS.items():
        sample_w[g == group] = share / max(1, int((g == group).sum()))
    w = np.zeros(DIM)
    b = 0.0
    m, v = np.zeros(DIM + 1), np.zeros(DIM + 1)
    for step in range(1, epochs + 1):
        z = np.bincount(row_of, weights=w[idx] * val, minlength=len(rows)) + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        err = (p - y) * sample_w
        grad = np.zeros(DIM + 1)
        grad[:DIM] = np.bincount(idx, weights=err[row_of] * val, minlength=DIM) + l2 * w
        grad[DIM] = err.sum()
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        update = lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        w -= update[:DIM]
        b -= update[DIM]
    shift = math.log(OPERATING_POINT / (1 - OPERATING_POINT))
    return InjectionModel(w, b - shift)


def _cross_validate(rows: list[tuple[str, int]], negatives: list[tuple[str, int]], k: int) -> None:
    """The whole screen (patterns + a model trained without the fold) on each held-out fold of ``rows``."""
    from mastra.screening import injection

    tp = fp = fn = tn = 0
    for fold in range(k):
        train = [r for i, r in enumerate(rows) if i % k != fold]
        test = [r for i, r in enumerate(rows) if i % k == fold]
        texts = [t for t, _ in train] + [t for t, _ in negatives]
        labels = [label for _, label in train] + [0] * len(negatives)
        groups = [0 if label else 1 for _, label in train] + [2] * len(negatives)
        model = fit(texts, labels, groups)
        for text, label in test:
            patterns, _, _ = injection.pattern_score(views(text))
            learned = model.probability(text_of(text))
            score = patterns if patterns >= injection.BLOCK_THRESHOLD else max(learned, (patterns + learned) / 2)
            flagged = score >= injection.THRESHOLD
            tp, fp = tp + (flagged and label == 1), fp + (flagged and label == 0)
            fn, tn = fn + (not flagged and label == 1), tn + (not flagged and label == 0)
    print(
        f"{k}-fold cross-validation on {len(rows)} rows: precision {tp / max(1, tp + fp):.4f}, "
        f"recall {tp / max(1, tp + fn):.4f}, fpr {fp / max(1, fp + tn):.4f}"
    )


def _rows(path: Path) -> list[tuple[str, int]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append((row["text"], int(row.get("label", 0))))
    return out


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve()
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, nargs="+", default=[here.parents[4] / "tests/data/injection_dev.jsonl"])
    shared = Path(os.environ.get("MASTRA_SHARED_DATA", here.parents[5] / "shared" / "data"))
    p.add_argument("--negatives", type=Path, default=shared / "clinc150" / "train.jsonl")
    p.add_argument("--out", type=Path, default=MODEL_PATH)
    p.add_argument("--cv", type=int, default=0, help="also report k-fold cross-validated figures of the screen")
    args = p.parse_args(argv)
    rows = [r for path in args.data for r in _rows(path)]
    if args.cv:
        _cross_validate(rows, _rows(args.negatives), args.cv)
    groups = [0 if label else 1 for _, label in rows]
    rows += [(text, 0) for text, _ in _rows(args.negatives)]
    groups += [2] * (len(rows) - len(groups))
    model = fit([t for t, _ in rows], [label for _, label in rows], groups)
    model.save(args.out)
    saved = InjectionModel.load(args.out)
    flagged = [saved.probability(text_of(t)) >= 0.5 for t, _ in rows]
    pos = [f for f, (_, label) in zip(flagged, rows, strict=True) if label == 1]
    neg = [f for f, (_, label) in zip(flagged, rows, strict=True) if label == 0]
    print(
        f"trained on {len(rows)} rows ({len(pos)} injections): training recall {sum(pos) / len(pos):.4f}, "
        f"fpr {sum(neg) / len(neg):.4f}; wrote {args.out} ({args.out.stat().st_size // 1024} KB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
