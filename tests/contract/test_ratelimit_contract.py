"""One contract for the rate-limit bucket store on every backend (SQLite, and DynamoDB under moto)."""

from __future__ import annotations

import threading
import time

import pytest

from mastra.security.ratelimit import Bucket, Limits
from mastra.security.ratelimit_store import RateLimitStore
from mastra.storage import Store


def bucket_store(store: Store) -> RateLimitStore:
    if store.backend == "dynamodb":
        from mastra.security.ratelimit_dynamodb import DynamoDBRateLimitStore

        return DynamoDBRateLimitStore.sharing(store)  # type: ignore[arg-type]
    from mastra.security.ratelimit_sqlite import SQLiteRateLimitStore

    return SQLiteRateLimitStore(store.db)  # type: ignore[attr-defined]


LIMITS = Limits(rate_per_s=2.0, burst=3)


def test_a_new_bucket_admits_its_burst_then_refuses_with_the_time_to_the_next_token(store: Store) -> None:
    rl = bucket_store(store)
    admitted = [rl.take("t1", "k1", LIMITS, 100.0) for _ in range(4)]
    assert [d.admitted for d in admitted] == [True, True, True, False]
    assert admitted[3].retry_after_s == pytest.approx(0.5)  # one token at 2/s
    assert rl.get("t1", "k1") == Bucket(0.0, 100.0)


def test_tokens_refill_with_time_up_to_the_burst(store: Store) -> None:
    rl = bucket_store(store)
    for _ in range(3):
        assert rl.take("t1", "k1", LIMITS, 100.0).admitted
    late = rl.take("t1", "k1", LIMITS, 100.25)  # half a token
    assert not late.admitted and late.retry_after_s == pytest.approx(0.25)
    assert rl.take("t1", "k1", LIMITS, 100.5).admitted  # one token
    assert not rl.take("t1", "k1", LIMITS, 100.5).admitted
    assert [rl.take("t1", "k1", LIMITS, 1000.0).admitted for _ in range(4)] == [True, True, True, False]


def test_a_refusal_writes_nothing(store: Store) -> None:
    rl = bucket_store(store)
    for _ in range(3):
        rl.take("t1", "k1", LIMITS, 100.0)
    before = rl._read("t1", "k1")
    assert not rl.take("t1", "k1", LIMITS, 100.1).admitted
    assert rl._read("t1", "k1") == before


def test_buckets_are_per_tenant_and_actor(store: Store) -> None:
    rl = bucket_store(store)
    for _ in range(3):
        assert rl.take("t1", "k1", LIMITS, 100.0).admitted
    assert not rl.take("t1", "k1", LIMITS, 100.0).admitted
    assert rl.take("t1", "k2", LIMITS, 100.0).admitted
    assert rl.take("t2", "k1", LIMITS, 100.0).admitted
    assert rl.get("t2", "k9") is None


def test_writes_are_conditional_on_the_version_read(store: Store) -> None:
    """Optimistic concurrency: of two writers that read the same version, the second loses."""
    rl = bucket_store(store)
    assert rl._write("t1", "k1", Bucket(2.0, 1.0), 0, expires_at=10.0)
    assert not rl._write("t1", "k1", Bucket(2.0, 1.0), 0, expires_at=10.0)  # it exists now
    _, version = rl._read("t1", "k1")
    assert version == 1
    assert rl._write("t1", "k1", Bucket(1.0, 2.0), 1, expires_at=10.0)
    assert not rl._write("t1", "k1", Bucket(0.0, 3.0), 1, expires_at=10.0)  # stale
    assert rl._read("t1", "k1") == (Bucket(1.0, 2.0), 2)


def test_the_base_retry_loop_admits_after_losing_a_race(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-modify-write of ``RateLimitStore.take`` (DynamoDB's path; SQLite's is a transaction)."""
    rl = bucket_store(store)
    real_write = rl._write
    raced = []

    def racing_write(tenant: str, actor: str, bucket: Bucket, version: int, *, expires_at: float) -> bool:
        if not raced:  # another instance spends a token between our read and our write
            raced.append(1)
            assert real_write(tenant, actor, Bucket(float(LIMITS.burst) - 1, 100.0), version, expires_at=expires_at)
        return real_write(tenant, actor, bucket, version, expires_at=expires_at)

    monkeypatch.setattr(rl, "_write", racing_write)
    decision = RateLimitStore.take(rl, "t1", "k1", LIMITS, 100.0)
    assert decision.admitted and decision.bucket == Bucket(1.0, 100.0)  # the other's spend is not lost
    assert rl.get("t1", "k1") == Bucket(1.0, 100.0)


def test_dynamodb_bucket_expires_when_it_would_be_full_again(store: Store) -> None:
    if store.backend != "dynamodb":
        pytest.skip("the TTL attribute is DynamoDB's")
    rl = bucket_store(store)
    rl.take("t1", "k1", LIMITS, 1000.0)
    item = store.client.get_item(  # type: ignore[attr-defined]
        TableName=store.table,  # type: ignore[attr-defined]
        Key={"PK": {"S": "T#t1#RL#k1"}, "SK": {"S": "BUCKET"}},
    )["Item"]
    assert int(item["expires_at"]["N"]) == 1000 + 2  # burst 3 / rate 2 = 1.5 s to refill, rounded up


@pytest.mark.parametrize("path", ["transaction", "optimistic"])
def test_threads_hammering_one_bucket_never_get_more_than_burst_plus_rate_times_elapsed(
    store: Store, path: str
) -> None:
    rl = bucket_store(store)
    take = rl.take if path == "transaction" else (lambda *a: RateLimitStore.take(rl, *a))
    limits = Limits(rate_per_s=20.0, burst=10)
    threads, per_thread = 8, 25
    admitted = [0] * threads
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def hammer(i: int) -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                if take("t1", "hot", limits, time.time()).admitted:
                    admitted[i] += 1
        except BaseException as exc:
            errors.append(exc)

    began = time.time()
    workers = [threading.Thread(target=hammer, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.time() - began
    assert not errors, errors
    total = sum(admitted)
    assert total <= limits.burst + limits.rate_per_s * elapsed, (total, elapsed)
    assert total >= limits.burst, (total, elapsed)  # the full bucket was spent: the limiter is not just refusing
