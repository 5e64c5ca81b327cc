"""Helpers shared by the benchmarks (run on demand; never part of the test suite)."""

from __future__ import annotations

import json
import os
import random
import statistics
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MASTRA_SHARED_DATA", REPO.parent / "shared" / "data"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def clinc_messages(n: int, seed: int = 0, split: str = "val") -> list[str]:
    """``n`` in-scope CLINC150 utterances (realistic request traffic), fixed by ``seed``."""
    rows = [r for r in read_jsonl(SHARED_DATA / "clinc150" / f"{split}.jsonl") if r["domain"] != "oos"]
    rng = random.Random(seed)
    return [rng.choice(rows)["text"] for _ in range(n)]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(pct(values, 50), 3),
        "p99": round(pct(values, 99), 3),
        "mean": round(statistics.fmean(values), 3),
        "max": round(max(values), 3),
    }
