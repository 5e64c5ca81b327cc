"""SageMaker's script-mode contract, which every training entry point follows.

A training job hands its script the input channels as directories (``SM_CHANNEL_<NAME>``), a
directory whose contents become the model artifact (``SM_MODEL_DIR``), one for other outputs such
as metrics (``SM_OUTPUT_DATA_DIR``), and the hyperparameters as ``--name value`` arguments. The
defaults below are the paths inside a SageMaker training container, so the same script runs there
unchanged; ``mastra train`` runs it locally in a subprocess with these variables set
(:mod:`mastra.training.local`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.json"


def _channel(env: dict[str, str], name: str) -> Path | None:
    """A channel's directory, if the job has that channel."""
    given = env.get(f"SM_CHANNEL_{name.upper()}")
    if given:
        return Path(given)
    default = Path("/opt/ml/input/data") / name
    return default if default.is_dir() else None


@dataclass(frozen=True)
class ScriptModePaths:
    train: Path | None
    validation: Path | None
    model_dir: Path
    output_dir: Path
    agents: Path | None = None  # agent spec files (the router's cold-start channel)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ScriptModePaths:
        env = dict(os.environ if env is None else env)
        return cls(
            train=_channel(env, "train"),
            validation=_channel(env, "validation"),
            model_dir=Path(env.get("SM_MODEL_DIR", "/opt/ml/model")),
            output_dir=Path(env.get("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data")),
            agents=_channel(env, "agents"),
        )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of one JSONL file; ValueError naming the line that is not JSON."""
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc.msg}") from None
    return rows


def channel_rows(channel: Path) -> list[dict[str, Any]]:
    """Every JSONL row of every ``*.jsonl`` file in a channel directory (sorted by file name)."""
    rows = [row for path in sorted(channel.glob("*.jsonl")) for row in read_jsonl(path)]
    if not rows:
        raise ValueError(f"no JSONL rows in channel {channel}")
    return rows


def write_metrics(paths: ScriptModePaths, metrics: dict[str, float]) -> None:
    """Metrics go to the output dir (SageMaker uploads it as output.tar.gz) and beside the model."""
    text = json.dumps(metrics, indent=2, sort_keys=True)
    for directory in (paths.output_dir, paths.model_dir):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / METRICS_FILE).write_text(text)
