"""Train the linear sentiment model (hashed 1-2-gram logistic regression): a script-mode entry point.

Channels: ``train`` (and optionally ``validation``) hold JSONL rows ``{"text": ..., "label": 0|1}``.
Writes ``sst2_linear.npz`` to ``SM_MODEL_DIR`` and its metrics (on the validation channel, if
given) to ``metrics.json`` (:mod:`mastra.training.contract`). Needs the ``train`` extra
(scikit-learn); the artifact needs only numpy.

    mastra train sentiment --data ../shared/data/sst2/train.jsonl --validation ../shared/data/sst2/val.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from mastra.sentiment.linear import LinearSentiment, hashed_features
from mastra.training.contract import ScriptModePaths, channel_rows, write_metrics

ARTIFACT = "sst2_linear.npz"


def texts_and_labels(rows: list[dict]) -> tuple[list[str], np.ndarray]:  # type: ignore[type-arg]
    try:
        return [str(r["text"]) for r in rows], np.array([int(r["label"]) for r in rows])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f'sentiment rows are {{"text": ..., "label": 0|1}}: {exc}') from None


def design(texts: list[str], bits: int):  # type: ignore[no-untyped-def]
    from scipy import sparse

    indptr, indices = [0], []
    for t in texts:
        idx = hashed_features(t, bits)
        indices.extend(idx)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(texts), 1 << bits))
    norms = np.sqrt(np.maximum(np.diff(indptr), 1)).astype(np.float32)
    return sparse.diags(1.0 / norms) @ matrix


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", type=int, default=18)
    parser.add_argument("--C", type=float, default=4.0)
    parser.add_argument("--neutral-band", "--neutral_band", type=float, default=0.3)
    args = parser.parse_args(argv)
    from sklearn.linear_model import LogisticRegression

    paths = ScriptModePaths.from_env()
    x_train, y_train = texts_and_labels(channel_rows(paths.train))
    progress(f"training on {len(x_train)} rows", 1, 3)
    clf = LogisticRegression(C=args.C, max_iter=5000)
    clf.fit(design(x_train, args.bits), y_train)
    progress("saving", 2, 3)
    artifact = paths.model_dir / ARTIFACT
    paths.model_dir.mkdir(parents=True, exist_ok=True)
    LinearSentiment(
        clf.coef_[0].astype(np.float32), float(clf.intercept_[0]), args.bits, args.neutral_band, "sst2-linear-v1"
    ).save(artifact)
    metrics: dict[str, float] = {"train_rows": float(len(x_train)), "size_bytes": float(artifact.stat().st_size)}
    if paths.validation is not None:
        progress("evaluating", 3, 3)
        metrics |= evaluate(LinearSentiment.load(artifact), channel_rows(paths.validation))  # what ships: float16
    write_metrics(paths, metrics)
    print(json.dumps(metrics))


def evaluate(model: LinearSentiment, rows: list[dict]) -> dict[str, float]:  # type: ignore[type-arg]
    """Accuracy of the positive/negative decision, and how many messages fall in the neutral band."""
    texts, labels = texts_and_labels(rows)
    probs = np.array([model.probability(t) for t in texts])
    decided = np.abs(2 * probs - 1) >= model.neutral_band
    correct = (probs > 0.5) == labels
    return {
        "accuracy": round(float(correct.mean()), 4),
        "neutral_rate": round(float(1 - decided.mean()), 4),
        "accuracy_when_decided": round(float(correct[decided].mean()), 4) if decided.any() else 0.0,
    }


def progress(stage: str, step: int, total: int) -> None:
    bar = "#" * (20 * step // total)
    print(f"[{bar:<20}] {step}/{total} {stage}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
