"""Selection learns from rewards: the bandit in a simulated user population (run on demand).

Users send real messages through the real select step (encoder, router, bandit). On arithmetic
("math/arithmetic") the router's choice, math, answers badly (mean reward 0.2) while the
second-ranked agent, utility, answers well (0.8); on five other topics the router's agent is the
good one. After the ``bad`` phase math is fixed (0.9). Prints, per seed: how many arithmetic
requests it takes until the bandit's choice is utility for good, the share utility then gets,
how long until traffic comes back to math, exploration rates, and cumulative regret against the
router alone and an oracle. Writes ``benchmarks/results/bandit_sim.json``.

    python benchmarks/bandit_sim.py [--seeds 5] [--half-life 600] [--epsilon 0.1]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mastra.runtime import Runtime
from mastra.selection.bandit import BanditConfig, BanditPolicy, InMemoryArmStats, RouterOnly
from mastra.selection.simulation import BAD_TOPIC, FakeClock, population, scenario, select_step, simulate, summarise
from mastra.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "bandit_sim.json"


def run(
    seed: int, *, half_life_s: float, quiet_s: float, epsilon: float, prior_strength: float, runtime: Runtime
) -> dict[str, Any]:
    clock = FakeClock()
    stats = InMemoryArmStats(half_life_s=half_life_s, clock=clock)
    policy = BanditPolicy(
        stats,
        BanditConfig(epsilon=epsilon, prior_strength=prior_strength, ttl_s=5.0),
        rng=random.Random(seed),
        clock=clock,
        fallback_id=runtime.agents.registry.fallback_id,
    )
    runtime.__dict__["selection_policy"] = RouterOnly()
    topics = population(select_step(runtime, clock), seed=seed)
    runtime.__dict__["selection_policy"] = policy
    started = time.perf_counter()
    log = simulate(select_step(runtime, clock), topics, scenario(quiet_s=quiet_s), stats, clock, seed=seed)
    elapsed = time.perf_counter() - started
    result: dict[str, Any] = summarise(log)
    result["seed"] = seed
    result["stats_reads"] = stats.reads
    result["select_ms_mean"] = round(elapsed * 1000 / len(log), 3)
    return result


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    bad = [r["phases"]["bad"][BAD_TOPIC] for r in runs]
    back = [r["phases"]["recovered"][BAD_TOPIC] for r in runs]
    others = [
        t["exploration_rate"]
        for r in runs
        for phase in r["phases"].values()
        for label, t in phase.items()
        if label != BAD_TOPIC
    ]
    never = None

    def median(values: list[int | None]) -> float | None:  # None (never) counts as the longest
        m = statistics.median(sorted(float("inf") if v is None else float(v) for v in values))
        return None if m == float("inf") else m

    return {
        "switch_after": [b["switch_after"] for b in bad],
        "switch_after_median": median([b["switch_after"] for b in bad]),
        "share_utility_last_50_mean": round(statistics.fmean(b["share_best_last_50"] for b in bad), 3),
        "back_after": [k["switch_after"] for k in back],
        "back_after_median": median([k["switch_after"] for k in back]) if back else never,
        "share_math_last_50_mean": round(statistics.fmean(k["share_best_last_50"] for k in back), 3),
        "exploration_rate_all": round(statistics.fmean(r["total"]["exploration_rate"] for r in runs), 4),
        "exploration_rate_bad_topic": round(statistics.fmean(b["exploration_rate"] for b in bad), 4),
        "exploration_rate_other_topics_max": max(others),
        "regret_vs_oracle": {
            "bandit": round(statistics.fmean(r["total"]["regret_vs_oracle"]["bandit"] for r in runs), 1),
            "router_only": round(statistics.fmean(r["total"]["regret_vs_oracle"]["router_only"] for r in runs), 1),
        },
        "requests": runs[0]["total"]["requests"],
        "select_ms_mean": round(statistics.fmean(r["select_ms_mean"] for r in runs), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--half-life", type=float, default=600.0, help="seconds (one request per simulated second)")
    parser.add_argument("--epsilon", type=float, default=0.10)
    parser.add_argument("--prior-strength", type=float, default=10.0)
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as home:
        runtime = Runtime(Settings.from_env(home=Path(home)))
        for quiet in (6, 3, 0):  # half-lives without traffic between "math is fixed" and the next requests
            runs = [
                run(
                    s,
                    half_life_s=args.half_life,
                    quiet_s=quiet * args.half_life,
                    epsilon=args.epsilon,
                    prior_strength=args.prior_strength,
                    runtime=runtime,
                )
                for s in range(args.seeds)
            ]
            compact = [  # per seed: the totals and the bad topic per phase
                {"seed": r["seed"], "total": r["total"]}
                | {phase: topics[BAD_TOPIC] for phase, topics in r["phases"].items()}
                for r in runs
            ]
            results[f"quiet_{quiet}_half_lives"] = {"summary": _summary(runs), "runs": compact}
        runtime.store.close()
    print(
        f"{args.seeds} seeds; half-life {args.half_life:.0f} s at 1 request/s; epsilon {args.epsilon}; "
        f"n0 {args.prior_strength}; 500 requests with math bad on {BAD_TOPIC}, then 1000 with math fixed"
    )
    for name, result in results.items():
        print(f"\n{name}")
        print(json.dumps(result["summary"]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "json"}
    args.json.write_text(json.dumps({"settings": settings, **results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
