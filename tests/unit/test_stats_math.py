"""Stats arithmetic: histogram percentiles, windows, and what each event adds (no storage)."""

from __future__ import annotations

import random

import pytest

from mastra.errors import InvalidRequestError
from mastra.events.models import FeedbackReceived, RequestCompleted, RequestFailed, RewardAssigned
from mastra.ids import new_id
from mastra.stats.aggregate import request_time, updates_for
from mastra.stats.models import BOUNDS_MS, histogram_index, hour_of, parse_dimension, parse_window, percentile


def test_histogram_buckets_are_log_spaced_and_bounded() -> None:
    assert histogram_index(0.2) == 0 and histogram_index(1e9) == len(BOUNDS_MS)
    for i, bound in enumerate(BOUNDS_MS[:-1]):
        assert histogram_index(bound) == i + 1  # a bound opens its bucket
        assert histogram_index(bound * 1.001) == i + 1


@pytest.mark.parametrize("shape", ["uniform", "lognormal"])
def test_percentiles_from_the_histogram_are_within_the_bucket_width(shape: str) -> None:
    rng = random.Random(7)
    values = [rng.uniform(5, 5000) if shape == "uniform" else rng.lognormvariate(5, 1) for _ in range(20_000)]
    counts: dict[int, float] = {}
    for v in values:
        counts[histogram_index(v)] = counts.get(histogram_index(v), 0) + 1
    values.sort()
    for q in (0.5, 0.9, 0.99):
        exact = values[int(q * len(values)) - 1]
        estimate = percentile(counts, q)
        assert estimate is not None and abs(estimate - exact) / exact < 0.13, (q, estimate, exact)
    assert percentile({}, 0.5) is None


def test_one_value_reads_back_near_itself() -> None:
    for ms in (3.0, 47.0, 1234.0, 99_000.0):  # below 1 ms is one underflow bucket
        p = percentile({histogram_index(ms): 1}, 0.5)
        assert p is not None and abs(p - ms) / ms < 0.27


def test_windows_and_dimensions() -> None:
    assert parse_window("90m") == 5400 and parse_window("24h") == 86400 and parse_window("7d") == 7 * 86400
    for bad in ("", "24", "0h", "h", "-1d", "1w", "91d", "24 hours"):
        with pytest.raises(InvalidRequestError):
            parse_window(bad)
    assert parse_dimension("prompt") == "prompt"
    with pytest.raises(InvalidRequestError, match="agent, prompt, topic"):
        parse_dimension("user")


def test_request_time_comes_from_the_ulid() -> None:
    rid = new_id()
    import time

    assert abs(request_time(rid, 0.0 + time.time()) - time.time()) < 2
    assert request_time("r1", 123.0) == 123.0


def _completed(rid: str, **kw: object) -> RequestCompleted:
    base = dict(tenant_id="t", request_id=rid, event_id=f"{rid}:request.completed", occurred_at=7200.5)
    base |= dict(agent_id="banking", topic="banking/transfer", prompt_ref="banking@2", attempts=1, latency_ms=100.0)
    return RequestCompleted(**(base | kw))  # type: ignore[arg-type]


def test_a_completed_request_counts_in_its_agent_prompt_and_topic() -> None:
    (u,) = updates_for([_completed("r1", reflection_score=0.8, errors=1)])
    assert {(b.dim, b.key, b.hour) for b in u.counters} == {
        ("agent", "banking", 7200),
        ("topic", "banking/transfer", 7200),
        ("prompt", "banking@2", 7200),
    }
    add = next(iter(u.counters.values()))
    assert add == {
        "requests": 1,
        f"h{histogram_index(100.0)}": 1,
        "latency_sum": 100.0,
        "errors": 1,
        "reflection_sum": 0.8,
        "reflection_n": 1,
    }
    (inline,) = updates_for([_completed("r2", prompt_ref=None, topic=None)])
    assert {(b.dim, b.key) for b in inline.counters} == {("agent", "banking"), ("topic", "banking")}


def test_rewards_add_their_delta_and_count_once_feedback_counts_first_receipt() -> None:
    common = dict(tenant_id="t", request_id="r", occurred_at=10.0, agent_id="banking", topic="x", prompt_ref=None)
    first = RewardAssigned(event_id="r:reward.assigned:1", reward=0.9, revision=1, **common)  # type: ignore[arg-type]
    second = RewardAssigned(
        event_id="r:reward.assigned:2",
        reward=0.2,
        previous_reward=0.9,
        revision=2,
        **common,  # type: ignore[arg-type]
    )
    a, b = updates_for([first, second])
    assert next(iter(a.counters.values())) == {"reward_sum": 0.9, "reward_n": 1}
    assert next(iter(b.counters.values())) == pytest.approx({"reward_sum": -0.7})
    fb = dict(common, user_id="u", thumbs="down", rating=2, has_comment=True)
    (f,) = updates_for([FeedbackReceived(event_id="r:fb", **fb)])  # type: ignore[arg-type]
    assert next(iter(f.counters.values())) == {"down": 1, "ratings": 1, "rating_sum": 2.0, "comments": 1}
    same = dict(previous_thumbs="down", previous_rating=2, previous_had_comment=True)
    assert updates_for([FeedbackReceived(event_id="r:fb2", replaced=True, **fb, **same)]) == []  # type: ignore[arg-type]
    up = dict(fb, thumbs="up", rating=5, has_comment=False)
    (g,) = updates_for([FeedbackReceived(event_id="r:fb3", replaced=True, **up, **same)])  # type: ignore[arg-type]
    assert next(iter(g.counters.values())) == {"up": 1, "down": -1, "rating_sum": 3.0, "comments": -1}
    failed = RequestFailed(tenant_id="t", request_id="r", event_id="r:f", occurred_at=10.0, error="E", message="m")
    (uf,) = updates_for([failed])
    assert {(k.dim, k.key) for k in uf.counters} == {("agent", "unknown"), ("topic", "unknown")}
    assert hour_of(3599.9) == 0 and hour_of(3600) == 3600
