"""The trainable model kinds: each has a script-mode entry point, a loader and an evaluation."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mastra.errors import InvalidRequestError


@dataclass(frozen=True)
class ModelKind:
    name: str
    entry: str  # the script-mode module run by `mastra train` and by a SageMaker job
    builtin: Callable[[], list[Path]]  # the artifact's files shipped with the package (version 0)
    load: Callable[[Path], Any]
    evaluate: Callable[[Any, list[dict[str, Any]]], dict[str, Any]]


def _sentiment_builtin() -> list[Path]:
    from mastra.sentiment.linear import DEFAULT_MODEL

    return [DEFAULT_MODEL]


def _sentiment_load(directory: Path) -> Any:
    from mastra.sentiment.linear import LinearSentiment
    from mastra.training.sentiment_linear import ARTIFACT

    return LinearSentiment.load(directory / ARTIFACT)


def _sentiment_evaluate(model: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from mastra.training.evaluation import per_class
    from mastra.training.sentiment_linear import evaluate

    started = time.perf_counter()
    metrics: dict[str, Any] = evaluate(model, rows)
    elapsed = time.perf_counter() - started
    metrics["n"] = len(rows)
    metrics["ms_per_item"] = round(elapsed * 1000 / max(len(rows), 1), 4)
    names = ("negative", "positive")
    truth = [names[int(r["label"])] for r in rows]
    metrics["per_class"] = per_class(truth, [names[model.probability(str(r["text"])) > 0.5] for r in rows])
    return metrics


KINDS: dict[str, ModelKind] = {
    "sentiment": ModelKind(
        "sentiment", "mastra.training.sentiment_linear", _sentiment_builtin, _sentiment_load, _sentiment_evaluate
    ),
}


def kind(name: str) -> ModelKind:
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise InvalidRequestError(f"no trainable model kind {name!r} (known: {known})") from None


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A labelled JSONL file given on the command line; a bad or missing file is the caller's error."""
    from mastra.training.contract import read_jsonl

    try:
        return read_jsonl(path)
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(f"cannot read {path}: {exc}") from None
