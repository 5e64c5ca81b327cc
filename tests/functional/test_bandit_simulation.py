"""Selection learns from rewards, shown on a simulated user population through the real select step.

On arithmetic ("math/arithmetic") the router's choice, math (p ~0.7), answers badly (mean reward
0.2) and the second-ranked agent, utility (p ~0.3), well (0.8). Five other topics are answered
well by the router's agent. The bandit must move arithmetic to utility within a stated number of
requests, leave the other topics alone (exploration at most epsilon), and bring arithmetic back
to math once math is fixed (0.9) and the old evidence has decayed.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from mastra.runtime import Runtime
from mastra.selection.bandit import BanditConfig, BanditPolicy, InMemoryArmStats, RouterOnly
from mastra.selection.simulation import (
    BAD_TOPIC,
    FakeClock,
    Phase,
    population,
    select_step,
    simulate,
    summarise,
)

HALF_LIFE_S = 600.0  # one request per simulated second
EPSILON = 0.10
SWITCH_WITHIN = 50  # arithmetic requests until utility is the bandit's choice for good (10 seeds: 8-42)


def run_population(runtime: Runtime, phases: list[Phase], seed: int) -> dict[str, Any]:
    clock = FakeClock()
    stats = InMemoryArmStats(half_life_s=HALF_LIFE_S, clock=clock)
    runtime.__dict__["selection_policy"] = RouterOnly()
    topics = population(select_step(runtime, clock), seed=seed)
    runtime.__dict__["selection_policy"] = BanditPolicy(
        stats,
        BanditConfig(epsilon=EPSILON, ttl_s=5.0),
        rng=random.Random(seed),
        clock=clock,
        fallback_id=runtime.agents.registry.fallback_id,
    )
    log = simulate(select_step(runtime, clock), topics, phases, stats, clock, seed=seed)
    return summarise(log)


@pytest.mark.parametrize("seed", [0, 1])
def test_traffic_moves_to_the_better_agent_and_back(runtime: Runtime, seed: int) -> None:
    phases = [
        Phase("bad", 500),  # ~200 arithmetic requests
        # math is fixed; the night passes (6 half-lives) before users come back
        Phase("recovered", 300, rewards={BAD_TOPIC: {"math": 0.9}}, quiet_s=6 * HALF_LIFE_S),
    ]
    result = run_population(runtime, phases, seed)
    bad = result["phases"]["bad"]
    arithmetic = bad[BAD_TOPIC]
    assert arithmetic["router_agent"] == "math" and arithmetic["best_agent"] == "utility"
    assert arithmetic["requests"] >= 150
    assert arithmetic["switch_after"] is not None and arithmetic["switch_after"] <= SWITCH_WITHIN, arithmetic
    assert arithmetic["share_best_last_50"] >= 0.8, arithmetic
    for label, topic in bad.items():  # the other topics stay with the router's (good) agent
        if label != BAD_TOPIC:
            assert topic["best_agent"] == topic["router_agent"]
            assert topic["exploration_rate"] <= EPSILON, (label, topic)
            assert topic["share_best"] >= 1 - EPSILON, (label, topic)

    back = result["phases"]["recovered"][BAD_TOPIC]
    assert back["best_agent"] == "math"
    assert back["share_best_last_50"] >= 0.8, back

    total = result["total"]
    assert total["exploration_rate"] <= EPSILON
    # regret against the oracle: the bandit's is a fraction of the router's alone
    assert total["regret_vs_oracle"]["bandit"] < 0.5 * total["regret_vs_oracle"]["router_only"], total
    assert total["gain_vs_router_only"] > 0


def test_without_evidence_the_bandit_changes_nothing(runtime: Runtime) -> None:
    """Rewards equal to what the router expects: the router's agent keeps every topic."""
    result = run_population(runtime, [Phase("steady", 300, rewards={BAD_TOPIC: {"math": 0.8, "utility": 0.2}})], 3)
    for label, topic in result["phases"]["steady"].items():
        assert topic["best_agent"] == topic["router_agent"], label
        assert topic["switch_after"] == 0, (label, topic)  # the exploit choice never left it
        assert topic["exploration_rate"] <= EPSILON
