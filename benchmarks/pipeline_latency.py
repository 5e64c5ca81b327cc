"""Per-request latency of the full local pipeline and of each step, and cold start.

    python benchmarks/pipeline_latency.py [--n 2000] [--warmup 200] [--cold-runs 7]

Requests are CLINC150 validation utterances cycling over 200 threads (so memory grows to ~10 turns
per thread, as in the peer benchmark), through the whole pipeline with the persistent SQLite store.
Reported twice: with the offline retrieval provider, and with the instant fake model (the peers'
setting). Cold start is a fresh process answering one request: ``mastra chat`` as a user runs it,
after a first run has compiled the agent cache (a restart), and with an empty data dir.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import clinc_messages, summary

STEPS = ["select_agent", "analyze_sentiment", "execute_agent", "reflect", "remember", "total"]


def warm_run(provider: str | None, n: int, warmup: int, sessions: int = 200) -> dict:
    from mastra.models import ChatRequest
    from mastra.runtime import Runtime
    from mastra.settings import Settings

    home = Path(tempfile.mkdtemp(prefix="mastra-bench-"))
    try:
        rt = Runtime(Settings.from_env(home=home, provider_override=provider))
        messages = clinc_messages(n + warmup, seed=1)
        threads: dict[int, str] = {}
        timings: dict[str, list[float]] = {k: [] for k in STEPS}
        wall: list[float] = []
        retries = 0
        for i, message in enumerate(messages):
            s = i % sessions
            t0 = time.perf_counter()
            r = rt.chat(ChatRequest(message=message, user_id=f"user{s}", thread_id=threads.get(s)))
            elapsed = (time.perf_counter() - t0) * 1000
            threads[s] = r.thread_id
            if i < warmup:
                continue
            wall.append(elapsed)
            retries += len(r.attempts) > 1
            for k in STEPS:
                timings[k].append(r.timings_ms.get(k, 0.0))
        rt.store.close()
        return {
            "provider": provider or "retrieval (offline default)",
            "n": n,
            "warmup": warmup,
            "retry_rate": round(retries / n, 4),
            "steps_ms": {k: summary(v) for k, v in timings.items()},
            "wall_ms": summary(wall),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def cold_runs(runs: int) -> dict:
    mastra = str(Path(sys.executable).with_name("mastra"))
    message = "how do i transfer money to my savings account"
    out: dict[str, list[float]] = {"restart (agent cache present)": [], "first start (empty data dir)": []}
    for _ in range(runs):
        for label in out:
            home = tempfile.mkdtemp(prefix="mastra-cold-")
            env = dict(os.environ, MASTRA_HOME=home)
            if label.startswith("restart"):
                subprocess.run([mastra, "chat", "--json", "hello"], env=env, check=True, capture_output=True)
            t0 = time.perf_counter()
            p = subprocess.run([mastra, "chat", "--json", message], env=env, check=True, capture_output=True, text=True)
            out[label].append((time.perf_counter() - t0) * 1000)
            assert json.loads(p.stdout)["agent"] == "banking", p.stdout
            shutil.rmtree(home, ignore_errors=True)
    return {
        k: {"median": round(statistics.median(v), 1), "min": round(min(v), 1), "all": [round(x) for x in v]}
        for k, v in out.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = {
        "warm": [warm_run(None, args.n, args.warmup), warm_run("fake", args.n, args.warmup)],
        "cold_start_ms": cold_runs(args.cold_runs),
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for run in results["warm"]:
        print(
            f"\n## warm, {run['n']} requests after {run['warmup']} warm-up — provider: {run['provider']} "
            f"(retry rate {run['retry_rate']:.1%})"
        )
        print("| step | p50 ms | p99 ms | mean ms | max ms |\n|---|---|---|---|---|")
        for step, s in [*run["steps_ms"].items(), ("wall (caller)", run["wall_ms"])]:
            print(f"| {step} | {s['p50']:.3f} | {s['p99']:.3f} | {s['mean']:.3f} | {s['max']:.2f} |")
    print("\n## cold start: fresh process → first answer (`mastra chat --json`)")
    for label, c in results["cold_start_ms"].items():
        print(f"- {label}: median {c['median']} ms, min {c['min']} ms, runs {c['all']}")


if __name__ == "__main__":
    main()
