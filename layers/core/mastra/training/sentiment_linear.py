"""Train the default sentiment model (hashed 1-2-gram logistic regression) on SST-2-style JSONL.

Rows are ``{"text": ..., "label": 0|1}``. Writes ``sst2_linear.npz`` and prints accuracy on the
validation file. Needs the ``train`` extra (scikit-learn); the result needs only numpy.

    python -m mastra.training.sentiment_linear --train ../shared/data/sst2/train.jsonl \
        --val ../shared/data/sst2/val.jsonl --out layers/core/mastra/sentiment/sst2_linear.npz
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mastra.sentiment.linear import LinearSentiment, hashed_features


def read_jsonl(path: Path) -> tuple[list[str], np.ndarray]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows])


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
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--val", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--bits", type=int, default=18)
    parser.add_argument("--C", type=float, default=4.0)
    parser.add_argument("--neutral-band", type=float, default=0.3)
    args = parser.parse_args(argv)
    from sklearn.linear_model import LogisticRegression

    x_train, y_train = read_jsonl(args.train)
    x_val, y_val = read_jsonl(args.val)
    clf = LogisticRegression(C=args.C, max_iter=5000)
    clf.fit(design(x_train, args.bits), y_train)
    model = LinearSentiment(
        clf.coef_[0].astype(np.float32),
        float(clf.intercept_[0]),
        args.bits,
        args.neutral_band,
        "sst2-linear-v1",
    )
    model.save(args.out)
    model = LinearSentiment.load(args.out)  # evaluate what ships (float16 weights)
    probs = np.array([model.probability(t) for t in x_val])
    decided = np.abs(2 * probs - 1) >= args.neutral_band
    print(
        json.dumps(
            {
                "val_accuracy": round(float(((probs > 0.5) == y_val).mean()), 4),
                "neutral_rate": round(float(1 - decided.mean()), 4),
                "accuracy_when_decided": round(float(((probs > 0.5) == y_val)[decided].mean()), 4),
                "size_bytes": args.out.stat().st_size,
            }
        )
    )


if __name__ == "__main__":
    main()
