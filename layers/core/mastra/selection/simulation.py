"""A simulated user population for the selection bandit (``benchmarks/bandit_sim.py`` and its test).

Users send real messages of a few kinds (topics); each answer earns a random reward in {0, 1}
whose mean depends on the topic and the agent that answered, as the user population would rate
it. The rewards go into a time-decayed :class:`~mastra.selection.bandit.InMemoryArmStats` keyed
by the selection's topic, exactly what the feedback store does in a deployment. Phases change the
reward means (an agent gets worse, or better) and may let time pass before they start.

The result compares three ways of choosing: the bandit (what was served), the router alone
(always its own choice) and an oracle (always the agent with the best mean), by cumulative
expected reward; regret is the shortfall from the oracle.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mastra.selection.bandit import InMemoryArmStats
from mastra.selection.base import Selection


class FakeClock:
    """Seconds that pass only when the simulation says so (the bandit's cache and the decay read it)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class SimTopic:
    """A kind of request: its router topic label, the messages users send, and the mean reward per
    agent (agents not named earn ``default_reward``)."""

    label: str
    messages: list[str]
    rewards: dict[str, float]
    share: float = 1.0
    default_reward: float = 0.2

    def mean(self, agent_id: str | None) -> float:
        return self.rewards.get(agent_id or "", self.default_reward)


@dataclass
class Phase:
    name: str
    requests: int
    rewards: dict[str, dict[str, float]] = field(default_factory=dict)  # topic -> agent -> new mean
    quiet_s: float = 0.0  # time that passes with no traffic before the phase starts


@dataclass
class Served:
    phase: str
    topic: str
    agent_id: str | None
    router_agent_id: str | None
    exploit_agent_id: str | None
    explored: bool
    reward: float
    expected: float  # the served agent's mean reward
    router_expected: float  # the router's choice's mean reward
    best_expected: float  # the best agent's mean reward
    best_agent_id: str


def simulate(
    route: Callable[[str], Selection],
    topics: Sequence[SimTopic],
    phases: Sequence[Phase],
    stats: InMemoryArmStats,
    clock: FakeClock,
    *,
    tenant_id: str = "sim",
    seconds_per_request: float = 1.0,
    seed: int = 0,
) -> list[Served]:
    """Run the population through ``route`` (the select step with the bandit) and record each request."""
    rng = random.Random(seed)
    weights = [t.share for t in topics]
    log: list[Served] = []
    for phase in phases:
        clock.advance(phase.quiet_s)
        for topic in topics:
            topic.rewards.update(phase.rewards.get(topic.label, {}))
        for _ in range(phase.requests):
            topic = rng.choices(topics, weights)[0]
            selection = route(rng.choice(topic.messages))
            served = selection.agent_id
            mean = topic.mean(served)
            reward = 1.0 if rng.random() < mean else 0.0
            if served is not None and selection.topic is not None:
                stats.record(tenant_id, selection.topic, served, reward)
            decision = selection.bandit
            exploit = max(decision.means, key=decision.means.__getitem__) if decision and decision.means else served
            candidates = [s.agent_id for s in selection.ranked] + [served or ""]
            best = max(candidates, key=topic.mean)
            log.append(
                Served(
                    phase=phase.name,
                    topic=topic.label,
                    agent_id=served,
                    router_agent_id=selection.router_agent_id,
                    exploit_agent_id=exploit,
                    explored=bool(decision and decision.explored),
                    reward=reward,
                    expected=mean,
                    router_expected=topic.mean(selection.router_agent_id),
                    best_expected=topic.mean(best),
                    best_agent_id=best,
                )
            )
            clock.advance(seconds_per_request)
    return log


def switch_point(rows: Sequence[Served], agent_id: str) -> int | None:
    """The number of requests after which the bandit's exploit choice is ``agent_id`` for good
    (None: it never settles there)."""
    last_other = max((i for i, r in enumerate(rows) if r.exploit_agent_id != agent_id), default=-1)
    return None if last_other == len(rows) - 1 else last_other + 1


def summarise(log: Sequence[Served], *, last: int = 50) -> dict[str, Any]:
    """Per phase and topic: traffic shares, exploration, switch points and regret."""
    out: dict[str, Any] = {"phases": {}}
    total = {"bandit": 0.0, "router": 0.0, "oracle": 0.0}
    for phase in dict.fromkeys(r.phase for r in log):
        rows = [r for r in log if r.phase == phase]
        topics: dict[str, Any] = {}
        for label in dict.fromkeys(r.topic for r in rows):
            t = [r for r in rows if r.topic == label]
            best = t[-1].best_agent_id
            tail = t[-last:]
            topics[label] = {
                "requests": len(t),
                "best_agent": best,
                "router_agent": t[-1].router_agent_id,
                "share_best": round(sum(r.agent_id == best for r in t) / len(t), 3),
                f"share_best_last_{last}": round(sum(r.agent_id == best for r in tail) / len(tail), 3),
                "switch_after": switch_point(t, best),
                "exploration_rate": round(sum(r.explored for r in t) / len(t), 4),
                "reward": {
                    "bandit": round(sum(r.expected for r in t), 2),
                    "router_only": round(sum(r.router_expected for r in t), 2),
                    "oracle": round(sum(r.best_expected for r in t), 2),
                },
                "regret": {
                    "bandit": round(sum(r.best_expected - r.expected for r in t), 2),
                    "router_only": round(sum(r.best_expected - r.router_expected for r in t), 2),
                },
            }
        out["phases"][phase] = topics
        total["bandit"] += sum(r.expected for r in rows)
        total["router"] += sum(r.router_expected for r in rows)
        total["oracle"] += sum(r.best_expected for r in rows)
    out["total"] = {
        "requests": len(log),
        "exploration_rate": round(sum(r.explored for r in log) / max(len(log), 1), 4),
        "expected_reward": {k: round(v, 2) for k, v in total.items()},
        "regret_vs_oracle": {
            "bandit": round(total["oracle"] - total["bandit"], 2),
            "router_only": round(total["oracle"] - total["router"], 2),
        },
        "gain_vs_router_only": round(total["bandit"] - total["router"], 2),
    }
    return out


# ---- the scenario of the issue: arithmetic answered badly by the router's choice -----------------
BAD_TOPIC = "math/arithmetic"  # the router sends it to math (p ~0.7), utility's calculator is second (~0.3)
STEADY_TOPIC = "math/passage-8"  # weight conversions: math first, utility second, and math is right

_FOODS = ["pancakes", "lasagna", "banana bread", "chili", "fried rice", "meatballs", "guacamole", "tomato soup"]
_TEMPLATES: dict[str, tuple[str, list[str]]] = {  # topic -> (the router's agent, what users type)
    BAD_TOPIC: (
        "math",
        [
            "calculate {a} plus {b}",
            "what is {a} minus {b}",
            "what is {a} plus {b}",
            "calculate {a} minus {b}",
            "what's {a} plus {b}",
            "work out {a} minus {b}",
            "solve {a} plus {b}",
        ],
    ),
    STEADY_TOPIC: ("math", ["how many ounces are in {b} pounds", "how many grams in {b} ounces"]),
    "banking/transfer": (
        "banking",
        [
            "transfer {b} dollars from checking to savings",
            "move {a} dollars to my savings account",
            "send {b} dollars from my checking to my savings",
        ],
    ),
    "banking/balance": (
        "banking",
        ["what's my checking balance", "how much money is in my savings account", "how much do i have in checking"],
    ),
    "utility/timer": ("utility", ["set a timer for {b} minutes", "start a {b} minute timer"]),
    "kitchen_and_dining/recipe": ("kitchen_and_dining", ["how do i make {x}", "give me a recipe for {x}"]),
}


def population(
    route: Callable[[str], Selection], *, per_topic: int = 12, seed: int = 0, bad_share: float = 0.4
) -> list[SimTopic]:
    """The simulated users' topics with real messages, kept only where the router (``route``, no
    bandit) puts them in that topic with its expected agent, so the scenario holds for this router.

    Rewards: the router's agent earns 0.8 on average and the others 0.2, except on
    :data:`BAD_TOPIC`, where the router's choice (math) earns 0.2 and the second (utility) 0.8.
    ``bad_share`` of the traffic is on the bad topic; the rest is split evenly.
    """
    rng = random.Random(seed)
    topics = []
    for label, (agent, templates) in _TEMPLATES.items():
        kept: list[str] = []
        for _ in range(per_topic * 6):
            if len(kept) >= per_topic:
                break
            message = rng.choice(templates).format(a=rng.randint(100, 999), b=rng.randint(2, 99), x=rng.choice(_FOODS))
            selection = route(message)
            if message not in kept and selection.topic == label and selection.agent_id == agent:
                kept.append(message)
        if not kept:
            raise ValueError(f"no message lands on {label!r} with {agent!r}: the router changed, update the scenario")
        rewards = {agent: 0.8}
        if label == BAD_TOPIC:
            rewards = {"math": 0.2, "utility": 0.8}
        share = bad_share if label == BAD_TOPIC else (1 - bad_share) / (len(_TEMPLATES) - 1)
        topics.append(SimTopic(label=label, messages=kept, rewards=rewards, share=share))
    return topics


def scenario(bad_requests: int = 500, recover_requests: int = 1000, quiet_s: float = 0.0) -> list[Phase]:
    """Phase ``bad``: math answers arithmetic badly. Phase ``recovered``: its answers are fixed
    (0.9, better than utility's 0.8); ``quiet_s`` may pass in between."""
    return [
        Phase("bad", bad_requests),
        Phase("recovered", recover_requests, rewards={BAD_TOPIC: {"math": 0.9}}, quiet_s=quiet_s),
    ]


def select_step(runtime: Any, clock: Callable[[], float], tenant_id: str = "sim") -> Callable[[str], Selection]:
    """``message -> Selection`` through the real select step (encoder, router, selection policy)."""
    from mastra import steps
    from mastra.ids import new_id
    from mastra.models import RequestContext

    def route(message: str) -> Selection:
        request = RequestContext(
            request_id=new_id(),
            tenant_id=tenant_id,
            user_id="sim-user",
            thread_id=new_id(),
            message=message,
            received_at=clock(),
            new_thread=True,
        )
        return Selection.model_validate(
            steps.select_agent({"request": request.model_dump()}, runtime=runtime)["selection"]
        )

    return route
