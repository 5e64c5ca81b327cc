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
    """What a model was trained on: the file (row count, SHA-256) or directory (files, digest)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        h = hashlib.sha256()
        for f in files:
            h.update(f.relative_to(path).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
        return {"source": str(path), "files": len(files), "sha256": h.hexdigest()}
    raw = path.read_bytes()
    return {
        "source": str(path),
        "rows": sum(1 for line in raw.splitlines() if line.strip()),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


def stage_channel(source: Path, channel: Path) -> None:
    """A channel directory holding ``source``: a JSONL file (as ``data.jsonl``) or a directory's files."""
    if source.is_dir():
        shutil.copytree(source, channel, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        channel.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, channel / "data.jsonl")


def run_script_mode(
    entry: str,
    workdir: Path,
    *,
    channels: dict[str, Path],
    hyperparameters: dict[str, Any] | None = None,
) -> TrainingRun:
    """Lay out the channels (name -> JSONL file or directory), set ``SM_*``, run ``python -m <entry>
    --name value ...``, read its metrics.

    The child's stderr (its progress bar) is passed through; its last lines are the error message
    if it fails.
    """
    env = dict(os.environ)
    for name, source in channels.items():
        if not source.exists():
            raise TrainingError(f"no {name} data {source}")
        channel = workdir / "input" / "data" / name
        stage_channel(source, channel)
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
    data = {name: snapshot(path) for name, path in channels.items()}
    return TrainingRun(model_dir, json.loads(metrics_path.read_text()), data)
