"""The selection bandit's policy: prior from the router, bounded exploration, fallback, failures, cache."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping

import pytest

from mastra.errors import StorageError
from mastra.selection.bandit import (
    BanditConfig,
    BanditPolicy,
    InMemoryArmStats,
    NullArmStats,
    RouterOnly,
    decayed,
)
from mastra.selection.base import AgentScore, Selection

TOPIC = "math/arithmetic"


def routed(p_math: float = 0.7, *, fallback: bool = False, extra: list[AgentScore] | None = None) -> Selection:
    ranked = [AgentScore(agent_id="math", confidence=p_math), AgentScore(agent_id="utility", confidence=1 - p_math)]
    return Selection(
        agent_id="fallback" if fallback else "math",
        confidence=0.2 if fallback else p_math,
        ranked=ranked + (extra or []),
        fallback=fallback,
        fallback_reason="no agent fits" if fallback else None,
        router="prototype-v1",
        topic=TOPIC,
    )


class Counting:
    """An arm-stats source that counts its reads and can be told to fail."""

    def __init__(self, stats: Mapping[str, tuple[float, float]] | None = None, error: Exception | None = None) -> None:
        self.stats, self.error, self.reads = dict(stats or {}), error, 0

    def arm_stats(self, tenant_id: str, topic: str) -> Mapping[str, tuple[float, float]]:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return self.stats


def policy(source: object, clock: list[float] | None = None, **config: float) -> BanditPolicy:
    now = clock if clock is not None else [0.0]
    cfg = BanditConfig(**{"ttl_s": 0.0, **config})  # type: ignore[arg-type]
    return BanditPolicy(source, cfg, rng=random.Random(7), clock=lambda: now[0], fallback_id="fallback")  # type: ignore[arg-type]


# ---- decay ----------------------------------------------------------------------------------------
def test_decay_halves_counts_each_half_life() -> None:
    assert decayed(8.0, 6.0, 3600.0, 3600.0) == (4.0, 3.0)
    assert decayed(8.0, 6.0, 7200.0, 3600.0) == (2.0, 1.5)
    assert decayed(8.0, 6.0, 3600.0, None) == (8.0, 6.0)  # no half-life: no decay
    assert decayed(8.0, 6.0, -5.0, 60.0) == (8.0, 6.0)  # clock skew never inflates


def test_in_memory_stats_decay_between_rewards() -> None:
    now = [0.0]
    stats = InMemoryArmStats(half_life_s=10.0, clock=lambda: now[0])
    stats.record("t", TOPIC, "math", 1.0)
    now[0] = 10.0
    stats.record("t", TOPIC, "math", 0.0)
    assert stats.arm_stats("t", TOPIC) == {"math": (1.5, 0.5)}
    now[0] = 20.0
    assert stats.arm_stats("t", TOPIC) == {"math": (0.75, 0.25)}
    assert stats.arm_stats("other-tenant", TOPIC) == {}


# ---- prior and exploitation -----------------------------------------------------------------------
def test_without_rewards_the_router_choice_is_served_and_means_are_the_prior() -> None:
    chosen = policy(NullArmStats(), epsilon=0.0).choose(routed(0.7), tenant_id="t")
    assert chosen.agent_id == chosen.router_agent_id == "math"
    assert chosen.bandit is not None and not chosen.bandit.explored
    # m = 0.2 + 0.6 p: the router's probability sets the prior mean
    assert chosen.bandit.means == {"math": pytest.approx(0.62), "utility": pytest.approx(0.38)}
    assert chosen.bandit.n == {"math": 0.0, "utility": 0.0}
    assert chosen.confidence == 0.7


def test_bad_rewards_move_the_topic_to_the_next_candidate() -> None:
    source = Counting({"math": (20.0, 4.0)})  # math averaged 0.2 over 20 rewards
    chosen = policy(source, epsilon=0.0).choose(routed(0.7), tenant_id="t")
    assert chosen.agent_id == "utility" and chosen.router_agent_id == "math"
    assert chosen.confidence == pytest.approx(0.3)  # the router's probability for the served agent
    assert chosen.bandit is not None and not chosen.bandit.explored  # exploitation, not exploration
    assert chosen.bandit.means["math"] == pytest.approx((6.2 + 4.0) / 30, abs=1e-4)
    assert chosen.bandit.n["math"] == 20.0


def test_the_switch_needs_the_evidence_the_prior_is_worth() -> None:
    # n0 (m_a - m_b) / (m_b - r) = 10 * 0.24 / 0.18 = 13.3 rewards of 0.2
    assert policy(Counting({"math": (13.0, 2.6)}), epsilon=0.0).choose(routed(0.7), tenant_id="t").agent_id == "math"
    assert policy(Counting({"math": (14.0, 2.8)}), epsilon=0.0).choose(routed(0.7), tenant_id="t").agent_id == "utility"


def test_candidates_are_the_top_k_above_the_floor_never_the_fallback() -> None:
    extra = [AgentScore(agent_id="fallback", confidence=0.2), AgentScore(agent_id="meta", confidence=0.04)]
    selection = routed(0.5, extra=extra)
    assert policy(NullArmStats()).candidates(selection) == [("math", 0.5), ("utility", 0.5)]
    assert policy(NullArmStats(), top_k=1).candidates(selection) == [("math", 0.5)]
    only = policy(Counting({"math": (100.0, 0.0)}), top_k=1, epsilon=1.0).choose(routed(0.7), tenant_id="t")
    assert only.agent_id == "math"  # a single candidate: nothing to choose between


# ---- exploration ----------------------------------------------------------------------------------
@pytest.mark.parametrize("epsilon", [0.0, 0.05, 0.2])
def test_exploration_rate_is_bounded_by_epsilon(epsilon: float) -> None:
    # Equal evidence for both arms: the Thompson draw disagrees with the best mean about half the time.
    source = Counting({"math": (2.0, 1.0), "utility": (2.0, 1.0)})
    bandit = policy(source, epsilon=epsilon)
    explored = sum(bool(bandit.choose(routed(0.5), tenant_id="t").bandit.explored) for _ in range(4000))  # type: ignore[union-attr]
    assert explored / 4000 <= epsilon  # P(explored) = epsilon * P(draw disagrees) < epsilon
    if epsilon:
        assert explored > 0


def test_exploration_always_serves_a_candidate() -> None:
    bandit = policy(Counting({"math": (2.0, 1.0), "utility": (2.0, 1.0)}), epsilon=1.0)
    served = {bandit.choose(routed(0.5), tenant_id="t").agent_id for _ in range(200)}
    assert served == {"math", "utility"}


def test_the_rng_is_seedable() -> None:
    def run() -> list[str | None]:
        bandit = policy(Counting({"math": (2.0, 1.0), "utility": (2.0, 1.0)}), epsilon=0.5)
        return [bandit.choose(routed(0.5), tenant_id="t").agent_id for _ in range(50)]

    assert run() == run()


# ---- never worse than the router alone ------------------------------------------------------------
def test_the_fallback_decision_is_never_overridden() -> None:
    source = Counting({"math": (0.0, 0.0), "utility": (100.0, 100.0)})
    chosen = policy(source, epsilon=1.0).choose(routed(0.7, fallback=True), tenant_id="t")
    assert chosen.agent_id == chosen.router_agent_id == "fallback" and chosen.fallback
    assert chosen.bandit is None and source.reads == 0


def test_no_topic_means_no_bandit() -> None:
    selection = routed(0.7)
    selection.topic = None
    assert policy(Counting(), epsilon=1.0).choose(selection, tenant_id="t").bandit is None


@pytest.mark.parametrize("error", [StorageError("table unavailable"), RuntimeError("bug")])
def test_a_failing_source_serves_the_router_choice(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    source = Counting(error=error)
    with caplog.at_level(logging.WARNING, logger="mastra.selection.bandit"):
        chosen = policy(source, epsilon=1.0).choose(routed(0.7), tenant_id="t")
    assert chosen.agent_id == chosen.router_agent_id == "math" and chosen.bandit is None
    assert "serving the router's choice" in caplog.text


def test_router_only_marks_the_router_choice() -> None:
    chosen = RouterOnly().choose(routed(0.7), tenant_id="t")
    assert chosen.agent_id == chosen.router_agent_id == "math" and chosen.bandit is None


# ---- the stats cache ------------------------------------------------------------------------------
def test_stats_are_read_once_per_topic_per_ttl() -> None:
    now = [0.0]
    source = Counting({"math": (20.0, 4.0)})
    bandit = policy(source, now, ttl_s=5.0, epsilon=0.0)
    for _ in range(10):
        bandit.choose(routed(0.7), tenant_id="t")
    assert source.reads == 1
    other = routed(0.7)
    other.topic = "math/passage-0"
    bandit.choose(other, tenant_id="t")
    bandit.choose(routed(0.7), tenant_id="t2")
    assert source.reads == 3  # per (tenant, topic)
    now[0] = 5.0
    bandit.choose(routed(0.7), tenant_id="t")
    assert source.reads == 4


def test_a_failure_is_cached_too_and_ttl_zero_reads_every_time() -> None:
    now = [0.0]
    failing = Counting(error=StorageError("down"))
    bandit = policy(failing, now, ttl_s=5.0)
    for _ in range(5):
        bandit.choose(routed(0.7), tenant_id="t")
    assert failing.reads == 1  # an outage costs one failed read per topic per TTL
    fresh = Counting()
    uncached = policy(fresh, ttl_s=0.0)
    for _ in range(5):
        uncached.choose(routed(0.7), tenant_id="t")
    assert fresh.reads == 5


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="epsilon"):
        BanditConfig(epsilon=1.5)
    with pytest.raises(ValueError, match="prior_strength"):
        BanditConfig(prior_strength=0)
    with pytest.raises(ValueError, match="reward_low"):
        BanditConfig(reward_low=0.9, reward_high=0.5)
