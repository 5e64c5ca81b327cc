"""What the stats keep: hourly buckets of counters per dimension, and the views built from them.

A bucket is one hour of one group (an agent, a prompt version or a topic) of one tenant: plain
counters (``requests``, ``errors``, ``reward_sum`` ...) plus a latency histogram over fixed,
log-spaced bounds (``h<i>``: how many requests took between ``BOUNDS_MS[i-1]`` and
``BOUNDS_MS[i]`` ms). Counters only ever add, so buckets merge by summing: any window's
percentiles come from the sum of its hours' histograms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mastra.errors import InvalidRequestError

Dimension = Literal["agent", "prompt", "topic"]
DIMENSIONS: tuple[Dimension, ...] = ("agent", "prompt", "topic")
HOUR = 3600
#: Histogram bounds: ten per decade from 1 ms to 1,000 s (a bucket is ~26% wide, so a percentile
#: interpolated within it is off by at most ~12%).
BOUNDS_MS: tuple[float, ...] = tuple(10 ** (i / 10) for i in range(61))
MAX_WINDOW_S = 90 * 24 * HOUR
_WINDOW = re.compile(r"^([1-9][0-9]{0,4})([mhd])$")
_UNIT_S = {"m": 60, "h": HOUR, "d": 24 * HOUR}


def hour_of(t: float) -> int:
    """The start of the hour holding unix time ``t``."""
    return int(t // HOUR) * HOUR


def parse_window(window: str) -> float:
    """``"24h"``, ``"7d"``, ``"90m"`` -> seconds (InvalidRequestError otherwise; at most 90 days).

    >>> parse_window("24h")
    86400.0
    """
    match = _WINDOW.match(window.strip())
    if match is None:
        raise InvalidRequestError(
            f"window {window!r}: expected a number and a unit m, h or d (e.g. 24h, 7d)", details={"window": window}
        )
    seconds = float(int(match.group(1)) * _UNIT_S[match.group(2)])
    if seconds > MAX_WINDOW_S:
        raise InvalidRequestError(f"window {window!r}: at most 90d", details={"window": window})
    return seconds


def parse_dimension(by: str) -> Dimension:
    if by not in DIMENSIONS:
        raise InvalidRequestError(f"by {by!r}: expected one of {', '.join(DIMENSIONS)}", details={"by": by})
    return by


def histogram_index(ms: float) -> int:
    """The histogram bucket of a latency: 0 below 1 ms, ``len(BOUNDS_MS)`` from 1,000 s up."""
    if ms < BOUNDS_MS[0]:
        return 0
    return min(len(BOUNDS_MS), math.floor(math.log10(ms) * 10 + 1e-9) + 1)


def percentile(counts: Mapping[int, float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of a histogram ``{bucket index: count}``, interpolated log-linearly
    within its bucket (None if empty).

    >>> round(percentile({histogram_index(100.0): 1}, 0.5))
    112
    """
    total = sum(counts.values())
    if total <= 0:
        return None
    rank, seen = q * total, 0.0
    for i in sorted(counts):
        n = counts[i]
        if n <= 0:
            continue
        if seen + n >= rank:
            lo = BOUNDS_MS[i - 1] if i > 0 else BOUNDS_MS[0] / 10
            hi = BOUNDS_MS[i] if i < len(BOUNDS_MS) else BOUNDS_MS[-1] * 10**0.1
            frac = min(1.0, max(0.0, (rank - seen) / n))
            return round(float(lo * (hi / lo) ** frac), 3)
        seen += n
    return None


@dataclass(frozen=True)
class BucketKey:
    dim: Dimension
    key: str
    hour: int


@dataclass
class Bucket:
    """One hour of one group: counters (``h<i>`` are the latency histogram)."""

    tenant_id: str
    dim: Dimension
    key: str
    hour: int
    counters: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    """One event's effect on the buckets: applied exactly once (``event_id`` is the dedupe marker)."""

    tenant_id: str
    event_id: str
    at: float
    counters: dict[BucketKey, dict[str, float]]


def merge(buckets: Iterable[Mapping[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for counters in buckets:
        for name, value in counters.items():
            out[name] = out.get(name, 0.0) + value
    return out


def histogram(counters: Mapping[str, float]) -> dict[int, float]:
    return {int(name[1:]): v for name, v in counters.items() if name.startswith("h") and name[1:].isdigit()}


def mean(counters: Mapping[str, float], name: str) -> float | None:
    n = counters.get(f"{name}_n", 0.0)
    return round(counters.get(f"{name}_sum", 0.0) / n, 4) if n > 0 else None


class AgentStats(BaseModel):
    """Observed statistics of one agent over the recent window (for runtime optimisation)."""

    model_config = ConfigDict(frozen=True)

    n: int
    p50_ms: float | None = None
    p99_ms: float | None = None
    reflection_score: float | None = None
    reward: float | None = None
