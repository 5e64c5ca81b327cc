"""Run a training entry point locally, in a subprocess, under SageMaker's script-mode contract."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mastra.errors import MastraError
from mastra.training.contract import METRICS_FILE


class TrainingError(MastraError):
    """A training run failed; the message carries the end of its output."""

    code = "training_failed"


@dataclass(frozen=True)
class TrainingRun:
    model_dir: Path
    metrics: dict[str, float]
    data: dict[str, Any]


def snapshot(path: Path) -> dict[str, Any]:
    """What a model was trained on: the file, its row count and its SHA-256."""
    raw = path.read_bytes()
    return {
        "source": str(path),
        "rows": sum(1 for line in raw.splitlines() if line.strip()),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


def run_script_mode(
    entry: str,
    workdir: Path,
    *,
    train: Path,
    validation: Path | None = None,
    hyperparameters: dict[str, Any] | None = None,
) -> TrainingRun:
    """Lay out the channels, set ``SM_*``, run ``python -m <entry> --name value ...``, read its metrics.

    The child's stderr (its progress bar) is passed through; its last lines are the error message
    if it fails.
    """
    channels = {"train": train, **({"validation": validation} if validation else {})}
    env = dict(os.environ)
    for name, source in channels.items():
        if not source.is_file():
            raise TrainingError(f"no {name} data file {source}")
        channel = workdir / "input" / "data" / name
        channel.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, channel / "data.jsonl")
        env[f"SM_CHANNEL_{name.upper()}"] = str(channel)
    model_dir, output_dir = workdir / "model", workdir / "output" / "data"
    model_dir.mkdir(parents=True, exist_ok=True)
    output_dir.mkdir(parents=True, exist_ok=True)
    env |= {"SM_MODEL_DIR": str(model_dir), "SM_OUTPUT_DATA_DIR": str(output_dir)}
    env["SM_HPS"] = json.dumps(hyperparameters or {})
    args = [a for k, v in (hyperparameters or {}).items() for a in (f"--{k}", str(v))]
    # The child's stderr (its progress bar, its traceback) is shown as it comes and its end kept.
    tail: deque[str] = deque(maxlen=20)
    with subprocess.Popen(
        [sys.executable, "-m", entry, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:  # metrics come back in a file, so stdout is not needed (and cannot fill a pipe)
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            tail.append(line.rstrip())
    if proc.returncode != 0:
        last = "\n".join(tail)
        raise TrainingError(f"training {entry} failed (exit {proc.returncode})" + (f":\n{last}" if last else ""))
    metrics_path = output_dir / METRICS_FILE
    if not metrics_path.exists():
        raise TrainingError(f"training {entry} wrote no {METRICS_FILE}")
    return TrainingRun(model_dir, json.loads(metrics_path.read_text()), snapshot(train))
