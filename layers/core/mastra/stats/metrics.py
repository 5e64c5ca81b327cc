"""The CloudWatch metrics the functions emit (Powertools Metrics, EMF) and the dashboard and
alarms in template.yaml read: one list of names, so a test can check both sides agree.

Dimensions stay low-cardinality: ``service`` (always ``mastra``) and, for step latency, ``step``
(the five pipeline steps). Per-agent figures live in the stats store (``GET /v1/stats``), not in
CloudWatch, where each agent x tenant would be a metric billed every month.

The event consumer emits the request-level metrics for the events it counted *now*, so a
redelivered batch is not counted twice here either.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mastra.events.models import (
    Event,
    FeedbackReceived,
    RequestCompleted,
    RequestFailed,
    RetrainingFinished,
    RewardAssigned,
)

NAMESPACE = "Mastra"
SERVICE = "mastra"

REQUESTS = "Requests"  # requests answered or failed (consumer)
REQUEST_ERRORS = "RequestErrors"  # requests that failed (request.failed)
RECOVERED_ERRORS = "RecoveredErrors"  # answered requests in which a step failed and was recovered
REQUEST_LATENCY = "RequestLatency"  # ms, the steps' sum (request.completed)
REFLECTION_SCORE = "ReflectionScore"  # the kept answer's score
REWARD = "Reward"  # each reward assigned (first and revised), 0..1
FEEDBACK_UP = "FeedbackUp"
FEEDBACK_DOWN = "FeedbackDown"
STEP_LATENCY = "StepLatency"  # ms, dimension step (each step function's handler)
API_LATENCY = "ApiLatency"  # ms (the API function)
API_SERVER_ERRORS = "ApiServerErrors"  # 5xx responses (the API function)
RETRAINING_STEP_LATENCY = "RetrainingStepLatency"  # ms, dimension step (the retraining function)
MODELS_PROMOTED = "ModelsPromoted"  # retraining runs whose candidate became the champion
RATE_LIMIT_STORE_ERRORS = "RateLimitStoreErrors"  # rate-limit checks whose bucket store failed (the API function)

METRIC_NAMES = frozenset(
    {
        REQUESTS,
        REQUEST_ERRORS,
        RECOVERED_ERRORS,
        REQUEST_LATENCY,
        REFLECTION_SCORE,
        REWARD,
        FEEDBACK_UP,
        FEEDBACK_DOWN,
        STEP_LATENCY,
        API_LATENCY,
        API_SERVER_ERRORS,
        RETRAINING_STEP_LATENCY,
        MODELS_PROMOTED,
        RATE_LIMIT_STORE_ERRORS,
    }
)


@dataclass(frozen=True)
class Point:
    name: str
    unit: str  # a Powertools MetricUnit value: "Count", "Milliseconds", "None"
    value: float


def points_for(events: Iterable[Event]) -> list[Point]:
    """The metric values a set of (newly counted) events adds."""
    out: list[Point] = []
    for e in events:
        if isinstance(e, RequestCompleted):
            out.append(Point(REQUESTS, "Count", 1))
            out.append(Point(REQUEST_LATENCY, "Milliseconds", e.latency_ms))
            if e.errors:
                out.append(Point(RECOVERED_ERRORS, "Count", 1))
            if e.reflection_score is not None:
                out.append(Point(REFLECTION_SCORE, "None", e.reflection_score))
        elif isinstance(e, RequestFailed):
            out += [Point(REQUESTS, "Count", 1), Point(REQUEST_ERRORS, "Count", 1)]
        elif isinstance(e, RewardAssigned):
            out.append(Point(REWARD, "None", e.reward))
        elif isinstance(e, FeedbackReceived) and e.thumbs and not e.replaced:
            out.append(Point(FEEDBACK_UP if e.thumbs == "up" else FEEDBACK_DOWN, "Count", 1))
        elif isinstance(e, RetrainingFinished):
            out.append(Point(MODELS_PROMOTED, "Count", 1 if e.promoted else 0))
    return out


def emit(metrics: Any, events: Iterable[Event]) -> int:
    """Add the events' points to a Powertools ``Metrics`` (flushed by its ``log_metrics``)."""
    points = points_for(events)
    for p in points:
        metrics.add_metric(name=p.name, unit=p.unit, value=p.value)
    return len(points)


@contextmanager
def timed(metrics: Any, name: str, **dimensions: str) -> Iterator[None]:
    """Add ``name`` (milliseconds) with ``dimensions`` when the block ends, even if it raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        for key, value in dimensions.items():
            metrics.add_dimension(name=key, value=value)
        metrics.add_metric(name=name, unit="Milliseconds", value=round((time.perf_counter() - started) * 1000, 3))
