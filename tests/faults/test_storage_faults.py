"""A storage write that fails in the middle of a request, on SQLite and on DynamoDB (moto).

The fault is injected where the backend really fails: inside the SQLite transaction that writes the
turn (after the request row, before the messages), and as a throttled ``TransactWriteItems`` from
DynamoDB's API. The pipeline's Remember step retries a transient storage error; if it keeps failing,
the API answers 503 with a reason and a Retry-After, and a client's retry then stores the turn once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.faults.conftest import added, api_client, ledger, nothing_lost, turn_keys

from mastra.errors import StorageError
from mastra.runtime import Runtime


@contextmanager
def failing_turn_writes(rt: Runtime, times: int) -> Iterator[dict[str, int]]:
    """The next ``times`` turn writes fail mid-write; yields the count of injected failures."""
    store: Any = rt.store
    injected = {"n": 0}

    def fail() -> bool:
        if injected["n"] < times:
            injected["n"] += 1
            return True
        return False

    if store.backend == "sqlite":
        real_row = store._message_row  # a staticmethod

        def message_row(m: Any) -> Any:  # called inside the turn's transaction, after the request row
            if fail():
                raise sqlite3.OperationalError("database or disk is full")
            return real_row(m)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(type(store), "_message_row", staticmethod(message_row))
            yield injected
        return
    from botocore.exceptions import ClientError

    def turn_write(params: dict[str, Any]) -> bool:
        puts = [i["Put"]["Item"] for i in params.get("TransactItems", []) if "Put" in i]
        return any(item.get("SK", {}).get("S") == "REQ" for item in puts)

    def throttle(params: Any, **kwargs: Any) -> None:
        if turn_write(params) and fail():
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeds"}
            raise ClientError({"Error": error}, "TransactWriteItems")

    events = store.client.meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", throttle)
    try:
        yield injected
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", throttle)


def converse(client: TestClient, user: str, thread_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": "how do i transfer money to my savings account", "user_id": user}
    if thread_id:
        body["thread_id"] = thread_id
    r = client.post("/v1/chat", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def assert_only_the_turn(new: list[tuple[Any, ...]], request_id: str, previous_id: str) -> None:
    """New records are the turn's own, the reward it implies for the thread's previous answer, and
    aggregate cells (statistics and the bandit's reward counters, per hour and agent)."""
    for key in new:
        text = " ".join(map(str, key))
        assert request_id in text or f"{previous_id}:reward.assigned" in text or aggregate(key), key


def aggregate(key: tuple[Any, ...]) -> bool:
    text = " ".join(map(str, key))
    return key[0] in ("stats_counters", "feedback_arms") or "#ARM#" in text or "#STATS#" in text


def assert_turn_stored_once(rt: Runtime, response: dict[str, Any], new: list[tuple[Any, ...]]) -> None:
    tenant, rid, thread = "default", response["request_id"], response["thread_id"]
    record = rt.store.get_request(tenant, rid)
    assert record is not None and record.response["answer"] == response["answer"]
    mine = [m for m in rt.store.list_messages(tenant, thread, limit=100).items if m.request_id == rid]
    assert sorted(m.message_id for m in mine) == [f"{rid}.0", f"{rid}.1"]
    events = rt.store.list_events(tenant, rid)
    assert len({e.event_id for e in events}) == len(events) and "request.completed" in {e.type for e in events}
    assert turn_keys(rt, new, rid), "the turn's records are among the new keys"


def test_a_turn_write_failing_mid_write_once_is_retried_and_stored_once(make_runtime: Callable[..., Runtime]) -> None:
    rt = make_runtime()
    client = api_client(rt)
    first = converse(client, "ana")
    before = ledger(rt)
    with failing_turn_writes(rt, times=1) as injected:
        second = converse(client, "ana", first["thread_id"])
    assert injected["n"] == 1
    after = ledger(rt)
    assert nothing_lost(before, after) == []
    new = added(before, after)
    assert_only_the_turn(new, second["request_id"], first["request_id"])
    assert_turn_stored_once(rt, second, new)
    thread = rt.store.get_thread("default", first["thread_id"])
    assert thread is not None and thread.message_count == 4


def test_a_turn_write_that_keeps_failing_is_a_503_that_loses_nothing_and_a_retry_stores_it_once(
    make_runtime: Callable[..., Runtime],
) -> None:
    rt = make_runtime()
    client = api_client(rt)
    first = converse(client, "ana")
    before = ledger(rt)
    body = {"message": "and how long does a transfer take", "user_id": "ana", "thread_id": first["thread_id"]}
    with failing_turn_writes(rt, times=10**6) as injected:
        failed = client.post("/v1/chat", json=body)
    assert failed.status_code == 503, failed.text
    assert failed.json()["error"] == "storage_unavailable" and "turn" in failed.json()["message"]
    assert failed.headers["Retry-After"] == "1"
    assert injected["n"] == 3  # Remember's first try and its two retries
    during = ledger(rt)
    assert nothing_lost(before, during) == []
    # The only new record says that a request failed (its request.failed event); no half-written turn.
    new = added(before, during)
    records = [" ".join(map(str, k)) for k in new if not aggregate(k)]
    failed_id = next(r for r in records if ":request.failed" in r).split(":request.failed")[0][-26:]
    assert all(failed_id in r for r in records), records  # its event, and the stats' seen-marker
    assert not [r for r in records if r.startswith(("requests ", "messages ", "threads ")) or "#TH#" in r or "REQ" in r]
    thread = rt.store.get_thread("default", first["thread_id"])
    assert thread is not None and thread.message_count == 2

    # The store is back: the client's retry of the same request succeeds, once.
    retried = client.post("/v1/chat", json=body)
    assert retried.status_code == 200, retried.text
    after = ledger(rt)
    assert nothing_lost(during, after) == []
    assert_only_the_turn(added(during, after), retried.json()["request_id"], first["request_id"])
    assert_turn_stored_once(rt, retried.json(), added(during, after))
    thread = rt.store.get_thread("default", first["thread_id"])
    assert thread is not None and thread.message_count == 4
    assert [m.content for m in rt.store.list_messages("default", first["thread_id"], limit=10).items][::2] == [
        "how do i transfer money to my savings account",
        "and how long does a transfer take",
    ]


def test_a_failure_after_the_turn_is_written_does_not_write_it_twice(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outcome write fails once after the turn is stored: Remember runs again, and writes nothing twice."""
    rt = make_runtime()
    client = api_client(rt)
    first = converse(client, "ana")
    before = ledger(rt)
    real = type(rt.feedback).on_turn
    calls = {"n": 0}

    def on_turn_fails_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StorageError("dynamodb: cannot record the outcome: throttled")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(rt.feedback), "on_turn", on_turn_fails_once)
    second = converse(client, "ana", first["thread_id"])
    assert calls["n"] == 2
    after = ledger(rt)
    assert nothing_lost(before, after) == []  # and no key twice
    assert_only_the_turn(added(before, after), second["request_id"], first["request_id"])
    assert_turn_stored_once(rt, second, added(before, after))
    thread = rt.store.get_thread("default", first["thread_id"])
    assert thread is not None and thread.message_count == 4  # not 6: the turn was not counted twice


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_retry_with_the_same_idempotency_key_after_a_storage_failure_runs_once(
    make_runtime: Callable[..., Runtime],
) -> None:
    """The 503 is not kept under the key (a retry must run); the success is (a second retry replays it)."""
    rt = make_runtime()
    client = api_client(rt)
    first = converse(client, "ana")
    body = {"message": "and how long does a transfer take", "user_id": "ana", "thread_id": first["thread_id"]}
    key = {"Idempotency-Key": "transfer-question-1"}
    with failing_turn_writes(rt, times=10**6):
        assert client.post("/v1/chat", json=body, headers=key).status_code == 503
    before = ledger(rt)
    retried = client.post("/v1/chat", json=body, headers=key)
    assert retried.status_code == 200, retried.text
    assert "Idempotent-Replayed" not in retried.headers
    again = client.post("/v1/chat", json=body, headers=key)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["request_id"] == retried.json()["request_id"]
    after = ledger(rt)
    assert nothing_lost(before, after) == []
    thread = rt.store.get_thread("default", first["thread_id"])
    assert thread is not None and thread.message_count == 4  # one turn for three calls
