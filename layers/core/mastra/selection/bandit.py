"""Selection learns from rewards: a bounded Thompson-sampling bandit over the router's scores.

The router says which agent *should* answer a kind of request; rewards (explicit feedback,
implicit signals and the reflection score, see :mod:`mastra.feedback`) say which one *does*
answer it well. The bandit keeps one small problem per ``(tenant, topic)``, where the topic is
the label of the message's nearest router prototype (``Selection.topic``, e.g.
``"math/arithmetic"``), and its arms are the router's candidates for that message.

Policy (``thompson-bounded-v1``)
--------------------------------
Candidates
    The router's choice and the next agents it ranks with probability ``>= candidate_floor``
    (at most ``top_k``). An agent the router gives almost nothing is never tried, and when the
    router chose the fallback agent (no agent fits) the bandit does not run: fallback stays.
Prior from the router
    Arm ``a`` with router probability ``p_a`` starts as ``Beta(n0 * m_a, n0 * (1 - m_a))`` with
    ``m_a = reward_low + (reward_high - reward_low) * p_a``: the expected reward if the right
    agent earns ``reward_high`` and a wrong one ``reward_low``. ``n0`` (``MASTRA_BANDIT_PRIOR_STRENGTH``)
    is how many rewards the router's opinion is worth. With no rewards, the best mean is the
    router's choice, so the bandit changes nothing until evidence arrives.
Evidence
    ``(n_a, s_a)``: the time-decayed count and sum of rewards in [0, 1] for the arm, read from an
    :class:`ArmStatsSource` (``FeedbackService.arm_stats`` in a deployment). Rewards decay with a
    half-life (:func:`decayed`), so old evidence fades: an agent that was bad but has improved
    drifts back toward its prior and is tried again. The posterior is
    ``Beta(n0 m_a + s_a, n0 (1 - m_a) + n_a - s_a)``; its mean is ``(n0 m_a + s_a) / (n0 + n_a)``.
Decision
    Exploit: serve the arm with the highest posterior mean (ties: the router's order). Explore:
    with probability ``epsilon`` (``MASTRA_BANDIT_EPSILON``), draw one sample from each arm's
    posterior and serve the highest draw (Thompson sampling). The draw usually agrees with the
    exploit choice, so the realised exploration rate is ``epsilon * P(draw disagrees)``: at most
    ``epsilon`` by construction, and near 0 once the arms are well separated.

An agent whose rewards are poor loses the topic's traffic once its posterior mean falls below
the next candidate's prior mean: after ``n0 * (m_a - m_b) / (m_b - r)`` rewards averaging ``r``.
With ``n0 = 10``, router probabilities 0.7 / 0.3 (``m`` 0.62 / 0.38) and ``r = 0.2``, that is 14
requests. The fallback agent is never a candidate.

Coming back is slower than leaving: the agent now served keeps fresh evidence, while the one it
replaced is only tried by exploration draws. Its old bad rewards decay, so after a few half-lives
its mean returns to the router's prior and it is served (and judged) again; under steady traffic
a shorter half-life brings it back sooner (``benchmarks/bandit_sim.py`` measures both).

Cost: a dictionary read (the arm stats are cached per ``(tenant, topic)`` for ``ttl_s``, so a
warm process reads the source at most once per topic per TTL) and a few float operations, about
25 µs with the decision record; a Beta draw only on exploration. If the source fails, the
router's choice is served and a warning is logged: a feedback outage never fails a request.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from mastra.errors import MastraError
from mastra.selection.base import BanditDecision, Selection

log = logging.getLogger(__name__)

POLICY = "thompson-bounded-v1"
_CACHE_LIMIT = 4096  # (tenant, topic) entries kept per process


def decayed(n: float, reward_sum: float, age_s: float, half_life_s: float | None) -> tuple[float, float]:
    """``(n, reward_sum)`` recorded ``age_s`` seconds ago, weighted by ``0.5 ** (age_s / half_life_s)``.

    The one decay rule the bandit's sources share (the feedback store applies it when it adds a
    reward and when it reads the counters). ``half_life_s`` None or <= 0: no decay.

    Examples
    --------
    >>> decayed(8.0, 6.0, 3600.0, 3600.0)
    (4.0, 3.0)
    """
    if not half_life_s or half_life_s <= 0 or age_s <= 0:
        return n, reward_sum
    weight = 0.5 ** (age_s / half_life_s)
    return n * weight, reward_sum * weight


class ArmStatsSource(Protocol):
    def arm_stats(self, tenant_id: str, topic: str) -> Mapping[str, tuple[float, float]]:
        """``agent_id -> (n, reward_sum)``, both time-decayed, for one ``(tenant, topic)``."""
        ...


class SelectionPolicy(Protocol):
    def choose(self, selection: Selection, *, tenant_id: str) -> Selection:
        """The selection to serve, given the router's (``router_agent_id`` set)."""
        ...


class RouterOnly:
    """The router alone chooses (the bandit is off, or there is no reward source)."""

    def choose(self, selection: Selection, *, tenant_id: str) -> Selection:
        selection.router_agent_id = selection.agent_id
        return selection


class NullArmStats:
    """No evidence: every arm keeps its prior (the bandit then serves the router's choice)."""

    def arm_stats(self, tenant_id: str, topic: str) -> Mapping[str, tuple[float, float]]:
        return {}


class InMemoryArmStats:
    """Time-decayed reward counters in a dict: the reference source (simulations and tests).

    Each ``(tenant, topic, agent)`` keeps ``(n, reward_sum, at)``; adding a reward first decays
    the counters to now, so reading them costs one :func:`decayed` per arm.

    Examples
    --------
    >>> stats = InMemoryArmStats(half_life_s=60.0, clock=lambda: 0.0)
    >>> stats.record("t", "math/arithmetic", "math", 1.0)
    >>> stats.arm_stats("t", "math/arithmetic")
    {'math': (1.0, 1.0)}
    """

    def __init__(self, half_life_s: float | None, clock: Callable[[], float] = time.time) -> None:
        self.half_life_s, self.clock = half_life_s, clock
        self._arms: dict[tuple[str, str], dict[str, tuple[float, float, float]]] = {}
        self.reads = 0

    def record(self, tenant_id: str, topic: str, agent_id: str, reward: float) -> None:
        now = self.clock()
        arms = self._arms.setdefault((tenant_id, topic), {})
        n, s, at = arms.get(agent_id, (0.0, 0.0, now))
        n, s = decayed(n, s, now - at, self.half_life_s)
        arms[agent_id] = (n + 1.0, s + reward, now)

    def arm_stats(self, tenant_id: str, topic: str) -> Mapping[str, tuple[float, float]]:
        self.reads += 1
        now = self.clock()
        return {
            agent: decayed(n, s, now - at, self.half_life_s)
            for agent, (n, s, at) in self._arms.get((tenant_id, topic), {}).items()
        }


@dataclass(frozen=True)
class BanditConfig:
    """The policy's parameters (see the module docstring)."""

    epsilon: float = 0.10  # the most often a request may be served by an exploration draw
    prior_strength: float = 10.0  # n0: how many rewards the router's probability is worth
    reward_low: float = 0.2  # expected reward of a wrong agent (router probability 0)
    reward_high: float = 0.8  # expected reward of the right agent (router probability 1)
    candidate_floor: float = 0.05  # an agent needs this router probability to be a candidate
    top_k: int = 3  # candidates at most (the router's choice included)
    ttl_s: float = 5.0  # how long a process reuses a (tenant, topic)'s arm stats

    def __post_init__(self) -> None:
        if not 0 <= self.epsilon <= 1:
            raise ValueError(f"epsilon must be in [0, 1], not {self.epsilon}")
        if self.prior_strength <= 0:
            raise ValueError(f"prior_strength must be > 0, not {self.prior_strength}")
        if not 0 < self.reward_low < self.reward_high < 1:
            raise ValueError("need 0 < reward_low < reward_high < 1")
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, not {self.top_k}")


class BanditPolicy:
    """Serve an agent for a routed request by the bounded Thompson policy above.

    Parameters
    ----------
    source
        Where the arm counters come from (``FeedbackService``; :class:`InMemoryArmStats` in tests).
    config
        The policy's parameters.
    rng
        The random source (seed it for reproducible tests and simulations).
    clock
        Monotonic seconds, for the stats cache.
    fallback_id
        The fallback agent: never a candidate (the TF-IDF router ranks it with the others).

    Examples
    --------
    >>> from mastra.selection.base import AgentScore
    >>> policy = BanditPolicy(NullArmStats(), BanditConfig(epsilon=0.0))
    >>> routed = Selection(agent_id="math", confidence=0.7, topic="math/arithmetic",
    ...     ranked=[AgentScore(agent_id="math", confidence=0.7), AgentScore(agent_id="utility", confidence=0.3)])
    >>> policy.choose(routed, tenant_id="t").agent_id
    'math'
    """

    name = POLICY

    def __init__(
        self,
        source: ArmStatsSource,
        config: BanditConfig | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        fallback_id: str | None = None,
    ) -> None:
        self.source, self.config = source, config or BanditConfig()
        self.fallback_id = fallback_id
        self.rng = rng or random.Random()
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Mapping[str, tuple[float, float]] | None]] = {}
        self._lock = threading.Lock()

    # ---- evidence -------------------------------------------------------------------------------
    def arm_stats(self, tenant_id: str, topic: str) -> Mapping[str, tuple[float, float]] | None:
        """The topic's counters, cached for ``ttl_s`` (None: the source failed; also cached, so an
        outage costs one failed read per topic per TTL, not one per request)."""
        key, now = (tenant_id, topic), self.clock()
        ttl = self.config.ttl_s
        if ttl > 0:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        stats: Mapping[str, tuple[float, float]] | None
        try:
            stats = dict(self.source.arm_stats(tenant_id, topic))
        except MastraError as exc:
            log.warning("arm stats for %s/%s unavailable (%s); serving the router's choice", tenant_id, topic, exc)
            stats = None
        except Exception:  # a broken source must not fail requests either
            log.exception("arm stats for %s/%s failed; serving the router's choice", tenant_id, topic)
            stats = None
        if ttl > 0:
            with self._lock:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                    if len(self._cache) >= _CACHE_LIMIT:
                        self._cache.clear()
                self._cache[key] = (now + ttl, stats)
        return stats

    # ---- decision -------------------------------------------------------------------------------
    def candidates(self, selection: Selection) -> list[tuple[str, float]]:
        """``(agent_id, router probability)`` of the arms, the router's choice first."""
        chosen = selection.agent_id
        probability = {s.agent_id: s.confidence for s in selection.ranked}
        arms = [(chosen, probability.get(chosen, selection.confidence))] if chosen else []
        for s in selection.ranked:
            if len(arms) >= self.config.top_k:
                break
            if s.agent_id not in (chosen, self.fallback_id) and s.confidence >= self.config.candidate_floor:
                arms.append((s.agent_id, s.confidence))
        return arms

    def choose(self, selection: Selection, *, tenant_id: str) -> Selection:
        """The selection to serve: ``agent_id`` is the served agent, ``router_agent_id`` the router's."""
        selection.router_agent_id = selection.agent_id
        if selection.fallback or selection.agent_id is None or selection.topic is None:
            return selection  # no agent fits (or selection failed): the bandit never overrides that
        arms = self.candidates(selection)
        stats = self.arm_stats(tenant_id, selection.topic)
        if stats is None:
            return selection
        cfg = self.config
        span = cfg.reward_high - cfg.reward_low
        posterior: list[tuple[str, float, float]] = []  # (agent, alpha, beta)
        counts: dict[str, float] = {}
        for agent, p in arms:
            prior_mean = cfg.reward_low + span * p
            n, s = stats.get(agent, (0.0, 0.0))
            n = max(float(n), 0.0)
            s = min(max(float(s), 0.0), n)
            counts[agent] = round(n, 3)
            posterior.append(
                (agent, cfg.prior_strength * prior_mean + s, cfg.prior_strength * (1.0 - prior_mean) + n - s)
            )
        means = {agent: a / (a + b) for agent, a, b in posterior}
        exploit = max(posterior, key=lambda arm: means[arm[0]])[0]  # first of equals: the router's order
        served = exploit
        if len(posterior) > 1 and cfg.epsilon > 0 and self.rng.random() < cfg.epsilon:
            draws = {agent: self.rng.betavariate(a, b) for agent, a, b in posterior}
            served = max(draws, key=draws.__getitem__)
        selection.bandit = BanditDecision(
            policy=self.name,
            explored=served != exploit,
            means={agent: round(m, 4) for agent, m in means.items()},
            n=counts,
        )
        if served != selection.agent_id:
            selection.agent_id = served
            selection.confidence = dict(arms)[served]  # the router's probability for the served agent
        return selection
