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
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mastra.runtime import Runtime
from mastra.selection.bandit import BanditConfig, BanditPolicy, InMemoryArmStats, RouterOnly
from mastra.selection.simulation import BAD_TOPIC, FakeClock, population, scenario, select_step, simulate, summarise
from mastra.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "bandit_sim.json"


def run(
    seed: int, *, half_life_s: float, quiet_s: float, epsilon: float, prior_strength: float, runtime: Runtime
) -> dict:
    clock = FakeClock()
    stats = InMemoryArmStats(half_life_s=half_life_s, clock=clock)
    policy = BanditPolicy(
        stats,
        BanditConfig(epsilon=epsilon, prior_strength=prior_strength, ttl_s=5.0),
        rng=__import__("random").Random(seed),
        clock=clock,
        fallback_id=runtime.agents.registry.fallback_id,
    )
    runtime.__dict__["selection_policy"] = RouterOnly()
    topics = population(select_step(runtime, clock), seed=seed)
    runtime.__dict__["selection_policy"] = policy
    started = time.perf_counter()
    log = simulate(select_step(runtime, clock), topics, scenario(quiet_s=quiet_s), stats, clock, seed=seed)
    elapsed = time.perf_counter() - started
    result = summarise(log)
    result["seed"] = seed
    result["stats_reads"] = stats.reads
    result["select_ms_mean"] = round(elapsed * 1000 / len(log), 3)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--half-life", type=float, default=600.0, help="seconds (one request per simulated second)")
    parser.add_argument("--quiet", type=float, default=3600.0, help="seconds without traffic before math is fixed")
    parser.add_argument("--epsilon", type=float, default=0.10)
    parser.add_argument("--prior-strength", type=float, default=10.0)
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as home:
        runtime = Runtime(Settings.from_env(home=Path(home)))
        runs = [
            run(s, half_life_s=args.half_life, quiet_s=args.quiet, epsilon=args.epsilon, prior_strength=args.prior_strength, runtime=runtime)
            for s in range(args.seeds)
        ]
        runtime.store.close()
    bad = [r["phases"]["bad"][BAD_TOPIC] for r in runs]
    back = [r["phases"]["recovered"][BAD_TOPIC] for r in runs]
    others = [
        t["exploration_rate"] for r in runs for label, t in r["phases"]["bad"].items() if label != BAD_TOPIC
    ] + [t["exploration_rate"] for r in runs for label, t in r["phases"]["recovered"].items() if label != BAD_TOPIC]
    print(f"{args.seeds} seeds, half-life {args.half_life:.0f} s, quiet {args.quiet:.0f} s, epsilon {args.epsilon}, n0 {args.prior_strength}")
    print(f"{'seed':>4} {'switch':>7} {'util last50':>11} {'back':>6} {'math last50':>11} "
          f"{'regret bandit':>13} {'regret router':>13} {'explore':>8}")
    for r, b, k in zip(runs, bad, back, strict=True):
        total = r["total"]
        print(
            f"{r['seed']:>4} {b['switch_after']!s:>7} {b['share_best_last_50']:>11.2f} {k['switch_after']!s:>6} "
            f"{k['share_best_last_50']:>11.2f} {total['regret_vs_oracle']['bandit']:>13.1f} "
            f"{total['regret_vs_oracle']['router_only']:>13.1f} {total['exploration_rate']:>8.3f}"
        )
    summary = {
        "settings": vars(args) | {"json": str(args.json)},
        "bad_topic": BAD_TOPIC,
        "switch_after_median": statistics.median(b["switch_after"] or 10**9 for b in bad),
        "share_utility_last_50_mean": round(statistics.fmean(b["share_best_last_50"] for b in bad), 3),
        "back_after_median": statistics.median(k["switch_after"] or 10**9 for k in back),
        "share_math_last_50_mean": round(statistics.fmean(k["share_best_last_50"] for k in back), 3),
        "exploration_rate_other_topics_max": max(others),
        "regret_vs_oracle_bandit_mean": round(statistics.fmean(r["total"]["regret_vs_oracle"]["bandit"] for r in runs), 1),
        "regret_vs_oracle_router_mean": round(
            statistics.fmean(r["total"]["regret_vs_oracle"]["router_only"] for r in runs), 1
        ),
        "select_ms_mean": round(statistics.fmean(r["select_ms_mean"] for r in runs), 3),
    }
    print(json.dumps(summary, indent=1))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"summary": summary, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
