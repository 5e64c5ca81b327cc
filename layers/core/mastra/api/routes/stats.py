"""Aggregated statistics: requests, latency percentiles, reflection, reward and feedback per group."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from mastra.api.deps import RuntimeDep, StatsCaller
from mastra.api.schemas import ErrorBody

router = APIRouter(prefix="/v1/stats", tags=["stats"])


class Latency(BaseModel):
    p50: float | None
    p90: float | None
    p99: float | None


class Feedback(BaseModel):
    up: int
    down: int
    ratings: int
    comments: int


class Screening(BaseModel):
    """Requests refused as prompt injections, and kept answers with a leak redacted (mastra.screening)."""

    blocked: int = 0
    redacted: int = 0


class Point(BaseModel):
    t: int
    requests: int
    reward: float | None
    latency_p50: float | None


class Group(BaseModel):
    key: str
    requests: int
    latency_ms: Latency
    reflection_score: float | None
    reward: float | None
    feedback: Feedback
    errors: int
    screening: Screening = Screening()
    series: list[Point]


class StatsSummary(BaseModel):
    by: str
    since: float
    until: float
    groups: list[Group]


@router.get("", response_model=StatsSummary, responses={422: {"model": ErrorBody}})
def stats(
    runtime: RuntimeDep,
    caller: StatsCaller,
    window: Annotated[str, Query(description="How far back: a number and m, h or d (at most 90d).")] = "24h",
    by: Annotated[str, Query(description="Group by agent, prompt (version) or topic.")] = "agent",
) -> dict[str, Any]:
    """The tenant's groups over the window, most requests first, with an hourly ``series`` each.
    A bad ``window`` or ``by`` is a 422 with the reason."""
    return runtime.stats.summary(caller.tenant_id, by=by, window=window)
