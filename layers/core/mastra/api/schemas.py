"""Response models of the API that are not domain models themselves."""

from __future__ import annotations

from pydantic import BaseModel

from mastra.spec.models import AgentSpec


class AgentSummary(BaseModel):
    id: str
    name: str
    description: str
    fallback: bool
    capabilities: list[str]
    tools: list[str]
    provider: str
    model_id: str
    cost_tier: str
    tags: list[str]

    @classmethod
    def of(cls, spec: AgentSpec) -> AgentSummary:
        return cls(
            id=spec.id,
            name=spec.name,
            description=spec.description,
            fallback=spec.fallback,
            capabilities=[c.name for c in spec.capabilities],
            tools=spec.tools,
            provider=spec.model.provider,
            model_id=spec.model.model_id,
            cost_tier=spec.cost_tier,
            tags=spec.tags,
        )


class ErrorBody(BaseModel):
    """Every error response: a stable code, a readable reason, and details where useful."""

    error: str
    message: str
    details: dict[str, object] | list[object] | None = None


class Health(BaseModel):
    status: str
    version: str
    agents: int
    store: str
