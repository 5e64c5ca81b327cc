"""The select step with the bandit: the topic, the served agent, the router's own choice, the decision."""

from __future__ import annotations

import random

import pytest

from mastra import steps
from mastra.ids import new_id
from mastra.models import ChatRequest, RequestContext
from mastra.runtime import Runtime
from mastra.selection.bandit import BanditConfig, BanditPolicy, InMemoryArmStats, RouterOnly
from mastra.selection.base import Selection


def select(rt: Runtime, message: str, tenant: str = "default") -> Selection:
    request = RequestContext(
        request_id=new_id(),
        tenant_id=tenant,
        user_id="ana",
        thread_id=new_id(),
        message=message,
        received_at=0.0,
        new_thread=True,
    )
    return Selection.model_validate(steps.select_agent({"request": request.model_dump()}, runtime=rt)["selection"])


def with_bandit(rt: Runtime, stats: InMemoryArmStats) -> None:
    rt.__dict__["selection_policy"] = BanditPolicy(
        stats, BanditConfig(epsilon=0.0, ttl_s=0.0), rng=random.Random(0), fallback_id="fallback"
    )


def test_topic_is_the_nearest_prototype(runtime: Runtime) -> None:
    s = select(runtime, "move 200 dollars from checking to my savings account")
    assert s.agent_id == s.router_agent_id == "banking"
    assert s.topic == "banking/transfer"
    assert s.bandit is not None and s.bandit.n == {"banking": 0.0}  # no rewards yet: the router's choice stands


def test_the_tfidf_router_uses_the_agent_as_topic(runtime: Runtime) -> None:
    s = runtime.agents.router.route("move 200 dollars from checking to my savings account", floor=0.3)
    assert s.topic == s.agent_id == "banking"


def test_bad_rewards_for_a_topic_change_the_served_agent(runtime: Runtime) -> None:
    message = "calculate 993 plus 63"
    routed = select(runtime, message)
    assert routed.agent_id == "math" and routed.topic == "math/arithmetic"
    stats = InMemoryArmStats(half_life_s=None)
    for _ in range(20):
        stats.record("default", "math/arithmetic", "math", 0.0)
    with_bandit(runtime, stats)
    s = select(runtime, message)
    assert s.agent_id == "utility" and s.router_agent_id == "math"
    assert s.bandit is not None and not s.bandit.explored
    assert s.bandit.n == {"math": 20.0, "utility": 0.0}
    assert s.bandit.means["utility"] > s.bandit.means["math"]
    assert select(runtime, message, tenant="other").agent_id == "math"  # per tenant
    assert select(runtime, "what's my checking balance").agent_id == "banking"  # per topic


def test_the_whole_pipeline_serves_the_bandit_choice(runtime: Runtime) -> None:
    stats = InMemoryArmStats(half_life_s=None)
    for _ in range(20):
        stats.record("default", "math/arithmetic", "math", 0.0)
    with_bandit(runtime, stats)
    response = runtime.chat(ChatRequest(message="calculate 993 plus 63", user_id="ana"))
    assert response.agent == "utility"
    assert response.trace.selection.router_agent_id == "math"
    assert response.trace.selection.bandit is not None
    stored = runtime.store.get_request("default", response.request_id)
    assert stored is not None and stored.response["trace"]["selection"]["router_agent_id"] == "math"


def test_the_fallback_stays(runtime: Runtime) -> None:
    stats = InMemoryArmStats(half_life_s=None)
    with_bandit(runtime, stats)
    s = select(runtime, "who won the football game last night?")
    assert s.fallback and s.agent_id == s.router_agent_id == "fallback" and s.bandit is None


@pytest.mark.parametrize(("bandit", "expected"), [(True, BanditPolicy), (False, RouterOnly)])
def test_the_runtime_builds_the_policy_from_its_reward_source(runtime: Runtime, bandit: bool, expected: type) -> None:
    runtime.settings = runtime.settings.model_copy(update={"bandit": bandit})
    assert isinstance(runtime.selection_policy, expected)
    if bandit:
        assert runtime.selection_policy.source is runtime.feedback  # type: ignore[attr-defined]
