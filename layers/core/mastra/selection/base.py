"""What selection returns, and the interface every router implements."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field


class AgentScore(BaseModel):
    agent_id: str
    confidence: float = Field(ge=0, le=1)


class BanditDecision(BaseModel):
    """What the bandit over the router's scores decided (:mod:`mastra.selection.bandit`)."""

    policy: str
    explored: bool = Field(description="True when an exploration draw served another agent than the best mean.")
    means: dict[str, float] = Field(default_factory=dict, description="Posterior mean reward per candidate.")
    n: dict[str, float] = Field(default_factory=dict, description="Time-decayed number of rewards per candidate.")


class Selection(BaseModel):
    """The chosen agent, how sure the router is, and the alternatives best first.

    ``confidence`` is the calibrated probability that the chosen agent is the right one. When the
    fallback agent is chosen because no agent reached the confidence floor, it is the probability
    that the best agent is wrong (1 - its probability), and ``fallback_reason`` says why.
    """

    agent_id: str | None = Field(description="None only when selection itself failed (the fallback answers).")
    confidence: float = Field(ge=0, le=1)
    ranked: list[AgentScore] = Field(default_factory=list)
    fallback: bool = False
    fallback_reason: str | None = None
    router: str = ""
    topic: str | None = Field(
        None, description="The kind of request: the label of its nearest prototype, e.g. 'banking/transfer'."
    )
    router_agent_id: str | None = Field(
        None, description="The router's own choice; differs from agent_id when the bandit served another agent."
    )
    bandit: BanditDecision | None = Field(None, description="The bandit's decision (None: the router alone chose).")
    elapsed_ms: float = 0.0


class Router(Protocol):
    name: str

    def route(self, message: str, *, floor: float) -> Selection:
        """Score every agent for ``message`` and choose one."""
        ...
