"""benchmarks/load_test.py works: a tiny run (4 clients, 2 s) against a real `mastra serve` on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mastra.agents.agentset import AgentSet
from mastra.settings import EXAMPLE_AGENTS_DIR

REPO = Path(__file__).resolve().parents[2]


def test_the_load_test_runs_and_reports_without_errors(tmp_path: Path, agent_cache: Path) -> None:
    AgentSet.load(EXAMPLE_AGENTS_DIR, agent_cache)  # the server loads it prebuilt instead of compiling
    out = tmp_path / "load.json"
    env = dict(os.environ, MASTRA_PREBUILT_DIR=str(agent_cache))
    cmd = [sys.executable, "benchmarks/load_test.py", "--clients", "4", "--duration", "2", "--out", str(out)]
    p = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    summary = json.loads(out.read_text())
    overall = summary["overall"]
    assert overall["requests"] > 0 and overall["errors"] == 0 and overall["rps"] > 0
    assert overall["p50_ms"] <= overall["p90_ms"] <= overall["p99_ms"] <= overall["max_ms"]
    assert {"POST /v1/chat (new thread)", "POST /v1/chat (continued)"} <= set(summary["endpoints"])
    assert "overall" in p.stdout and "p99 ms" in p.stdout  # the table
