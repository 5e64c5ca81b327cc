"""The stats store contract, run against every backend: each event counts once, whatever redelivers it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.contract.conftest import TABLE

from mastra.stats.models import Bucket, BucketKey, Update
from mastra.stats.store import StatsStore

H = 1_800_000_000 - 1_800_000_000 % 3600  # an hour start


@pytest.fixture
def stats(backend: str, tmp_path: Path) -> Iterator[StatsStore]:
    if backend == "dynamodb":
        import boto3

        from mastra.stats.dynamodb import DynamoDBStatsStore

        yield DynamoDBStatsStore(TABLE, client=boto3.client("dynamodb"))
        return
    from mastra.stats.sqlite import SQLiteStatsStore
    from mastra.storage.sqlite_db import SQLiteDatabase

    db = SQLiteDatabase(tmp_path / "mastra.db")
    yield SQLiteStatsStore(db)
    db.close()


def update(event_id: str, key: str = "banking", hour: int = H, tenant: str = "default", **add: float) -> Update:
    counters = add or {"requests": 1.0, "h21": 1.0}
    return Update(tenant, event_id, float(hour), {BucketKey("agent", key, hour): dict(counters)})


def counters(stats: StatsStore, tenant: str = "default", since: int = H, until: int = H) -> dict[tuple[int, str], dict]:
    return {(b.hour, b.key): b.counters for b in stats.buckets(tenant, "agent", since, until)}


def test_a_redelivered_batch_counts_nothing_twice(stats: StatsStore) -> None:
    batch = [update("r1:request.completed"), update("r2:request.completed"), update("r3:x", reward_sum=0.5)]
    assert len(stats.apply(batch)) == 3
    assert stats.apply(batch) == []  # the same batch again: every marker exists
    assert counters(stats)[(H, "banking")] == {"requests": 2.0, "h21": 2.0, "reward_sum": 0.5}


def test_a_batch_with_some_events_seen_applies_only_the_new_ones(stats: StatsStore) -> None:
    stats.apply([update("a")])
    applied = stats.apply([update("a"), update("b"), update("c", key="travel")])
    assert sorted(u.event_id for u in applied) == ["b", "c"]
    got = counters(stats)
    assert got[(H, "banking")]["requests"] == 2.0 and got[(H, "travel")]["requests"] == 1.0


def test_events_of_one_request_across_batches_count_once_each(stats: StatsStore) -> None:
    """(DynamoDB keeps one request's markers in one item: each event still counts once.)"""
    assert len(stats.apply([update("r1:request.completed"), update("r1:reward.assigned:1", reward_sum=0.5)])) == 2
    later = [update("r1:reward.assigned:1", reward_sum=0.5), update("r1:reward.assigned:2", reward_sum=0.25)]
    assert [u.event_id for u in stats.apply(later)] == ["r1:reward.assigned:2"]
    assert [u.event_id for u in stats.apply([update("r1"), update("r1:request.completed")])] == ["r1"]
    assert stats.apply(later) == []
    assert counters(stats)[(H, "banking")] == {"requests": 2.0, "h21": 2.0, "reward_sum": 0.75}
    assert len(stats.apply([update("r2", key="x")])) == len(stats.apply([update("r2:.", key="x")])) == 1


def test_duplicates_within_one_batch_count_once(stats: StatsStore) -> None:
    assert len(stats.apply([update("a"), update("a")])) == 1
    assert counters(stats)[(H, "banking")]["requests"] == 1.0


def test_negative_additions_and_many_counters(stats: StatsStore) -> None:
    stats.apply([update("r:reward:1", reward_sum=0.9, reward_n=1.0)])
    stats.apply([update("r:reward:2", reward_sum=-0.6)])  # a revision: the delta, counted once
    assert counters(stats)[(H, "banking")] == pytest.approx({"reward_sum": 0.3, "reward_n": 1.0})


def test_buckets_are_read_by_hour_across_days_and_tenants_stay_apart(stats: StatsStore) -> None:
    hours = [H - 3 * 86400, H - 86400 - 3600, H - 3600, H, H + 3600]
    stats.apply([update(f"e{i}", hour=h) for i, h in enumerate(hours)])
    stats.apply([update("other", tenant="acme")])
    got = stats.buckets("default", "agent", H - 2 * 86400, H)
    assert sorted(b.hour for b in got) == [H - 86400 - 3600, H - 3600, H]
    assert [b.tenant_id for b in stats.buckets("acme", "agent", H, H)] == ["acme"]
    assert stats.buckets("default", "topic", H - 3 * 86400, H + 3600) == []


def test_keys_with_separators_survive(stats: StatsStore) -> None:
    stats.apply([Update("default", "p", 1.0, {BucketKey("prompt", "banking@2#x/y", H): {"requests": 1.0}})])
    (bucket,) = stats.buckets("default", "prompt", H, H)
    assert bucket == Bucket("default", "prompt", "banking@2#x/y", H, {"requests": 1.0})


def test_an_event_counted_in_several_dimensions_is_read_back_by_each(stats: StatsStore) -> None:
    """(DynamoDB keeps an event's agent, prompt and topic buckets of one hour in one item.)"""

    def three(event_id: str, agent: str, prompt: str | None, topic: str, **add: float) -> Update:
        keys = [BucketKey("agent", agent, H), BucketKey("topic", topic, H)]
        keys += [BucketKey("prompt", prompt, H)] if prompt else []
        return Update("default", event_id, float(H), {k: dict(add) for k in keys})

    odd = Update(
        "default",
        "odd",
        float(H),
        {BucketKey("agent", "banking", H): {"requests": 1.0}, BucketKey("topic", "banking/x", H): {"errors": 1.0}},
    )
    stats.apply(
        [
            three("a", "banking", "b@1", "banking/x", requests=1.0),
            three("b", "banking", None, "banking/y", requests=1.0),
        ]
    )
    stats.apply([three("c", "travel", "t@2", "banking/x", requests=1.0, reward_sum=0.5), odd])
    by = {d: {b.key: b.counters for b in stats.buckets("default", d, H, H)} for d in ("agent", "prompt", "topic")}
    assert by["agent"] == {"banking": {"requests": 3.0}, "travel": {"requests": 1.0, "reward_sum": 0.5}}
    assert by["prompt"] == {"b@1": {"requests": 1.0}, "t@2": {"requests": 1.0, "reward_sum": 0.5}}
    assert by["topic"] == {
        "banking/x": {"requests": 2.0, "reward_sum": 0.5, "errors": 1.0},
        "banking/y": {"requests": 1.0},
    }


def test_concurrent_redeliveries_count_once(stats: StatsStore) -> None:
    batch = [update(f"e{i}") for i in range(5)]
    results: list[int] = []

    def deliver() -> None:
        results.append(len(stats.apply(batch)))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 5
    assert counters(stats)[(H, "banking")]["requests"] == 5.0
