"""Train the sentiment head (logistic regression over the shared encoder's embedding): script mode.

Channels: ``train`` (and optionally ``validation``) hold JSONL rows ``{"text", "label": 0|1}``.
Writes ``sentiment.json`` to ``SM_MODEL_DIR`` and its metrics to ``metrics.json``. numpy only
besides the encoder's runtime; no torch. (Fine-tuning the encoder itself is a PyTorch job:
``docs/research/message-encoder.md``.)

    mastra train sentiment --data ../shared/data/sst2/train.jsonl --validation ../shared/data/sst2/val.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from mastra.training.contract import ScriptModePaths, channel_rows, write_metrics


def texts_and_labels(rows: list[dict[str, Any]]) -> tuple[list[str], np.ndarray]:
    try:
        return [str(r["text"]) for r in rows], np.array([int(r["label"]) for r in rows])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f'sentiment rows are {{"text": ..., "label": 0|1}}: {exc}') from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty on the head's weights")
    parser.add_argument("--neutral-pmax", "--neutral_pmax", type=float, default=0.8)
    args = parser.parse_args(argv)

    from mastra.encoder import MessageEncoder
    from mastra.selection.fit import fit_logistic
    from mastra.sentiment.head import SentimentHead

    paths = ScriptModePaths.from_env()
    if paths.train is None:
        sys.exit("sentiment training needs labelled rows (the train channel)")
    texts, labels = texts_and_labels(channel_rows(paths.train))
    encoder = MessageEncoder()
    weights = fit_logistic(encoder.embed(texts, progress=True).astype(np.float64), labels.astype(float), l2=args.l2)
    head = SentimentHead(args.neutral_pmax, encoder.digest, weights[:-1], float(weights[-1]), "encoder-logistic-v1")
    head.save(paths.model_dir)
    metrics: dict[str, float] = {"train_rows": float(len(texts))}
    if paths.validation is not None:
        metrics |= evaluate(head, encoder, channel_rows(paths.validation))
    write_metrics(paths, metrics)
    print(json.dumps(metrics), file=sys.stderr)


def evaluate(head: Any, encoder: Any, rows: list[dict[str, Any]]) -> dict[str, float]:
    """Accuracy of the positive/negative decision, the neutral rate, and calibration."""
    texts, labels = texts_and_labels(rows)
    return metrics(head.p_positive([encoder.encode(t) for t in texts]), labels, head.neutral_pmax)


def metrics(p: np.ndarray, labels: np.ndarray, neutral_pmax: float) -> dict[str, float]:
    """The same, from the predicted P(positive) of each row."""
    from mastra.selection.fit import expected_calibration_error

    correct = (p > 0.5) == labels
    sure = np.maximum(p, 1 - p)
    decided = sure >= neutral_pmax
    return {
        "accuracy": round(float(correct.mean()), 4),
        "neutral_rate": round(float(1 - decided.mean()), 4),
        "accuracy_when_decided": round(float(correct[decided].mean()), 4) if decided.any() else 0.0,
        "ece": expected_calibration_error(sure, correct),
    }


if __name__ == "__main__":
    main()
