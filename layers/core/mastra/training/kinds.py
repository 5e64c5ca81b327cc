"""The trainable model kinds: each has a script-mode entry point, its version 0, a loader and an evaluation.

Both kinds are heads over the shared message encoder (:mod:`mastra.encoder`): training one
encodes its rows once and fits a small numpy model, so neither needs torch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mastra.errors import InvalidRequestError

if TYPE_CHECKING:
    from mastra.runtime import Runtime


@dataclass(frozen=True)
class ModelKind:
    name: str
    entry: str  # the script-mode module run by `mastra train` and by a SageMaker job
    builtin: Callable[[Runtime, Path], None]  # writes version 0's artifact into a directory
    load: Callable[[Path], Any]
    evaluate: Callable[[Runtime, Any, list[dict[str, Any]]], dict[str, Any]]


def _router_builtin(rt: Runtime, out: Path) -> None:
    rt.agents.spec_router(rt.encoder).save(out)


def _router_load(directory: Path) -> Any:
    from mastra.selection.prototype import PrototypeRouter

    return PrototypeRouter.load(directory)


def _router_evaluate(rt: Runtime, model: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from mastra.training.evaluation import router_metrics

    encoder, floor = rt.encoder, rt.settings.confidence_floor
    return router_metrics(lambda t: model.route_embedding(encoder.encode(t).embedding, floor=floor), rows)


def _sentiment_builtin(rt: Runtime, out: Path) -> None:
    import shutil

    from mastra.sentiment.head import BUILTIN, HEAD_FILE

    shutil.copyfile(BUILTIN / HEAD_FILE, out / HEAD_FILE)


def _sentiment_load(directory: Path) -> Any:
    from mastra.sentiment.head import SentimentHead

    return SentimentHead.load(directory)


def _sentiment_evaluate(rt: Runtime, model: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from mastra.training.evaluation import per_class
    from mastra.training.sentiment_head import metrics, texts_and_labels

    try:
        texts, labels = texts_and_labels(rows)
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from None
    started = time.perf_counter()
    predicted = model.p_positive([rt.encoder.encode(t) for t in texts])
    elapsed = time.perf_counter() - started
    out: dict[str, Any] = metrics(predicted, labels, model.neutral_pmax)
    out["n"] = len(rows)
    out["ms_per_item"] = round(elapsed * 1000 / max(len(rows), 1), 4)
    names = ("negative", "positive")
    out["per_class"] = per_class([names[int(y)] for y in labels], [names[int(p > 0.5)] for p in predicted])
    return out


KINDS: dict[str, ModelKind] = {
    "router": ModelKind("router", "mastra.training.router_head", _router_builtin, _router_load, _router_evaluate),
    "sentiment": ModelKind(
        "sentiment", "mastra.training.sentiment_head", _sentiment_builtin, _sentiment_load, _sentiment_evaluate
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
