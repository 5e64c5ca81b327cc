"""Train, register and evaluate models: what `mastra train` and `mastra eval` do."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from mastra.registry import ModelRegistry
from mastra.storage.models import ModelVersion
from mastra.training.kinds import ModelKind, read_rows
from mastra.training.local import run_script_mode


def ensure_builtin(registry: ModelRegistry, kind: ModelKind) -> None:
    """On first use, the model shipped with the package becomes version 0 and the champion."""
    if registry.versions(kind.name):
        return
    from mastra.errors import ConflictError

    with tempfile.TemporaryDirectory() as tmp:
        for file in kind.builtin():
            shutil.copyfile(file, Path(tmp) / file.name)
        try:
            registry.register(kind.name, Path(tmp), note="built-in", number=0)
        except ConflictError:
            return  # another process registered it first
    registry.store.set_champion(kind.name, 0, expected=None)


def train(
    registry: ModelRegistry,
    kind: ModelKind,
    data: Path,
    *,
    validation: Path | None = None,
    hyperparameters: dict[str, Any] | None = None,
    promote: bool = False,
) -> ModelVersion:
    """Run the entry point locally under the script-mode contract and register its artifact."""
    ensure_builtin(registry, kind)
    with tempfile.TemporaryDirectory(prefix=f"mastra-train-{kind.name}-") as work:
        run = run_script_mode(
            kind.entry, Path(work), train=data, validation=validation, hyperparameters=hyperparameters
        )
        version = registry.register(
            kind.name, run.model_dir, metrics=run.metrics, data=run.data, params=hyperparameters or {}
        )
    return registry.promote(kind.name, version.version) if promote else version


def evaluate(registry: ModelRegistry, kind: ModelKind, data: Path, *, version: int | None = None) -> dict[str, Any]:
    """Metrics of a version (default: the champion) on a labelled JSONL file."""
    from mastra.errors import NotFoundError

    ensure_builtin(registry, kind)
    chosen = (
        registry.store.get_model_version(kind.name, version) if version is not None else registry.champion(kind.name)
    )
    if chosen is None:
        raise NotFoundError(f"no {kind.name} model version {version}" if version is not None else "no champion")
    model = kind.load(registry.artifact_dir(chosen))
    metrics: dict[str, Any] = kind.evaluate(model, read_rows(data))
    return {"kind": kind.name, "version": chosen.version, **metrics}
