from __future__ import annotations

from fastapi import APIRouter

from mastra.api.deps import ChatCaller, RuntimeDep
from mastra.api.schemas import AgentSummary, ErrorBody

router = APIRouter(prefix="/v1/agents", tags=["agents"])

# The agents are the deployment's, the same for every tenant: any key that may chat may list them.


@router.get("", response_model=list[AgentSummary], summary="List the agents")
def list_agents(runtime: RuntimeDep, _: ChatCaller) -> list[AgentSummary]:
    return [AgentSummary.of(spec) for spec in runtime.agents.registry]


@router.get("/{agent_id}", response_model=AgentSummary, responses={404: {"model": ErrorBody}}, summary="One agent")
def get_agent(agent_id: str, runtime: RuntimeDep, _: ChatCaller) -> AgentSummary:
    return AgentSummary.of(runtime.agents.registry.get(agent_id))
