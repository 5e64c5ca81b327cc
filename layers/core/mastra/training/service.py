"""Train, register and evaluate models: what `mastra train` and `mastra eval` do."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mastra.registry import ModelRegistry
from mastra.storage.models import ModelVersion
from mastra.training.kinds import ModelKind, read_rows
from mastra.training.local import run_script_mode

if TYPE_CHECKING:
    from mastra.runtime import Runtime


def ensure_builtin(rt: Runtime, kind: ModelKind) -> None:
    """On first use, the default model becomes version 0 and the champion: the sentiment head
    shipped with the package; the router fitted from this deployment's agent specs."""
    registry = rt.registry
    if registry.versions(kind.name):
        return
    from mastra.errors import ConflictError

    with tempfile.TemporaryDirectory() as tmp:
        kind.builtin(rt, Path(tmp))
        try:
            registry.register(kind.name, Path(tmp), note="built-in", number=0)
        except ConflictError:
            return  # another process registered it first
    try:
        registry.store.set_champion(kind.name, 0, expected=None)
    except ConflictError:
        return


def train(
    rt: Runtime,
    kind: ModelKind,
    channels: dict[str, Path],
    *,
    hyperparameters: dict[str, Any] | None = None,
    promote: bool = False,
) -> ModelVersion:
    """Run the entry point locally under the script-mode contract and register its artifact."""
    registry: ModelRegistry = rt.registry
    ensure_builtin(rt, kind)
    with tempfile.TemporaryDirectory(prefix=f"mastra-train-{kind.name}-") as work:
        run = run_script_mode(kind.entry, Path(work), channels=channels, hyperparameters=hyperparameters)
        version = registry.register(
            kind.name, run.model_dir, metrics=run.metrics, data=run.data, params=hyperparameters or {}
        )
    return registry.promote(kind.name, version.version) if promote else version


def evaluate(rt: Runtime, kind: ModelKind, data: Path, *, version: int | None = None) -> dict[str, Any]:
    """Metrics of a version (default: the champion) on a labelled JSONL file."""
    from mastra.errors import NotFoundError

    registry = rt.registry
    ensure_builtin(rt, kind)
    chosen = (
        registry.store.get_model_version(kind.name, version) if version is not None else registry.champion(kind.name)
    )
    if chosen is None:
        raise NotFoundError(f"no {kind.name} model version {version}" if version is not None else "no champion")
    rows = read_rows(data)
    model = kind.load(registry.artifact_dir(chosen))
    metrics: dict[str, Any] = kind.evaluate(rt, model, rows)
    return {"kind": kind.name, "version": chosen.version, **metrics}
