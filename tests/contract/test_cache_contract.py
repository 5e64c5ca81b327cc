"""The answer cache and thread usage counters: one contract, both backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra.cache import CachedAnswer, CacheStore
from mastra.storage import Store


@pytest.fixture
def pair(backend: str, tmp_path: Path) -> Iterator[tuple[Store, CacheStore]]:
    from mastra.cache import open_cache

    store: Store
    if backend == "dynamodb":
        import boto3
        from tests.contract.conftest import TABLE

        from mastra.storage.dynamodb import DynamoDBStore

        store = DynamoDBStore(TABLE, client=boto3.client("dynamodb"))
    else:
        from mastra.storage import SQLiteStore

        store = SQLiteStore(tmp_path / "mastra.db")
    yield store, open_cache(store)
    store.close()


def entry(key: str = "k1", *, at: float = 1000.0, ttl: float = 60.0, answer: str = "hello") -> CachedAnswer:
    return CachedAnswer(
        key=key,
        agent_id="banking",
        prompt_ref="banking@1",
        execution={"agent_id": "banking", "answer": answer, "provider": "retrieval"},
        score=0.8,
        created_at=at,
        expires_at=at + ttl,
    )


def test_a_cached_answer_is_read_back_until_it_expires(pair: tuple[Store, CacheStore]) -> None:
    _, cache = pair
    assert cache.get_answer("default", "k1", now=1000.0) is None
    cache.put_answer("default", entry())
    got = cache.get_answer("default", "k1", now=1030.0)
    assert got is not None and got.execution["answer"] == "hello" and got.score == 0.8
    assert cache.get_answer("default", "k1", now=1060.0) is None  # expired (TTL deletion may lag: reads check)
    cache.put_answer("default", entry(at=2000.0, answer="newer"))  # replaced, not duplicated
    got = cache.get_answer("default", "k1", now=2001.0)
    assert got is not None and got.execution["answer"] == "newer"


def test_cached_answers_belong_to_their_tenant(pair: tuple[Store, CacheStore]) -> None:
    _, cache = pair
    cache.put_answer("t1", entry())
    assert cache.get_answer("t2", "k1", now=1001.0) is None


def test_dynamodb_items_carry_the_ttl_attribute(pair: tuple[Store, CacheStore], backend: str) -> None:
    if backend != "dynamodb":
        pytest.skip("DynamoDB's TTL attribute")
    store, cache = pair
    cache.put_answer("default", entry())
    item = store.client.get_item(  # type: ignore[attr-defined]
        TableName=store.table,
        Key={"PK": {"S": "T#default#CACHE#k1"}, "SK": {"S": "ANSWER"}},  # type: ignore[attr-defined]
    )["Item"]
    assert int(item["expires_at"]["N"]) >= 1060


def test_thread_usage_adds_up_atomically(pair: tuple[Store, CacheStore]) -> None:
    _, cache = pair
    assert cache.thread_usage("default", "th1").requests == 0
    threads = [
        threading.Thread(target=lambda: cache.add_usage("default", "th1", tokens=10, elapsed_ms=2.5)) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    usage = cache.thread_usage("default", "th1")
    assert (usage.tokens, usage.elapsed_ms, usage.requests) == (80, 20.0, 8)
    assert cache.thread_usage("other", "th1").tokens == 0


def test_deleting_a_thread_deletes_its_usage_counters(pair: tuple[Store, CacheStore]) -> None:
    from tests.contract.conftest import turn

    store, cache = pair
    for thread in ("th1", "th2"):
        assert store.record_turn(turn(thread=thread))
        cache.add_usage("default", thread, tokens=10, elapsed_ms=2.5)
    store.delete_thread("default", "th1")
    assert cache.thread_usage("default", "th1").requests == 0
    assert cache.thread_usage("default", "th2").requests == 1  # another thread's are kept


def test_erasing_a_user_deletes_their_threads_usage_counters(pair: tuple[Store, CacheStore]) -> None:
    from tests.contract.conftest import turn

    store, cache = pair
    for thread, user in (("th1", "u1"), ("th2", "u1"), ("th3", "u2")):
        assert store.record_turn(turn(thread=thread, user=user))
        cache.add_usage("default", thread, tokens=10, elapsed_ms=2.5)
    store.erase_user("default", "u1")
    assert cache.thread_usage("default", "th1").requests == 0
    assert cache.thread_usage("default", "th2").requests == 0
    assert cache.thread_usage("default", "th3").requests == 1  # another user's are kept


def test_usage_counters_expire_with_the_retention(pair: tuple[Store, CacheStore], backend: str) -> None:
    store, cache = pair
    cache.add_usage("default", "th1", tokens=10, elapsed_ms=1.0, expires_at=2000.0)
    cache.add_usage("default", "th1", tokens=10, elapsed_ms=1.0, expires_at=3000.0)  # each addition moves it on
    cache.add_usage("default", "th2", tokens=10, elapsed_ms=1.0)  # no retention: kept
    if backend == "dynamodb":  # the table's TTL deletes it
        item = store.client.get_item(  # type: ignore[attr-defined]
            TableName=store.table,  # type: ignore[attr-defined]
            Key={"PK": {"S": "T#default#TH#th1"}, "SK": {"S": "USAGE"}},
        )["Item"]
        assert item["expires_at"] == {"N": "3000"}
        return
    store.clock = lambda: 2500.0  # type: ignore[method-assign]
    store.purge_expired()
    assert cache.thread_usage("default", "th1").requests == 2
    store.clock = lambda: 3000.0  # type: ignore[method-assign]
    store.purge_expired()
    assert cache.thread_usage("default", "th1").requests == 0
    assert cache.thread_usage("default", "th2").requests == 1
