"""One contract for every storage backend. A backend is done when it passes this suite."""

from __future__ import annotations

import threading

import pytest
from tests.contract.conftest import StoreFactory, turn

from mastra.errors import ConflictError, InvalidRequestError, NotFoundError
from mastra.storage import EventRecord, ModelVersion, Store


def test_a_turn_is_stored_and_read_back(store: Store) -> None:
    t = turn(text="what is my balance")
    assert store.record_turn(t) is True
    messages = store.recent_messages("default", "t1", 10)
    assert [(m.role, m.content) for m in messages] == [
        ("user", "what is my balance"),
        ("assistant", "re: what is my balance"),
    ]
    assert messages[1].agent_id == "banking"
    record = store.get_request("default", t.request.request_id)
    assert record is not None and record.response["answer"] == "re: what is my balance"
    thread = store.get_thread("default", "t1")
    assert thread is not None and thread.user_id == "u1" and thread.message_count == 2


def test_recording_is_idempotent_on_the_request_id(store: Store) -> None:
    t = turn()
    assert store.record_turn(t) is True
    assert store.record_turn(t) is False
    assert len(store.recent_messages("default", "t1", 10)) == 2
    assert store.get_thread("default", "t1").message_count == 2  # type: ignore[union-attr]


def test_recent_messages_are_the_last_n_oldest_first(store: Store) -> None:
    for i in range(5):
        store.record_turn(turn(text=f"m{i}", at=1000.0 + i))
    recent = store.recent_messages("default", "t1", 3)
    assert [m.content for m in recent] == ["re: m3", "m4", "re: m4"]
    assert store.recent_messages("default", "t1", 0) == []
    assert store.recent_messages("default", "nope", 5) == []


def test_a_thread_belongs_to_its_user(store: Store) -> None:
    store.record_turn(turn(user="alice"))
    with pytest.raises(ConflictError):
        store.record_turn(turn(user="mallory", text="let me in"))
    with pytest.raises(ConflictError):
        store.check_thread_owner("default", "t1", "mallory")
    assert store.check_thread_owner("default", "t1", "alice") is not None
    assert store.check_thread_owner("default", "new-thread", "mallory") is None
    assert [m.content for m in store.recent_messages("default", "t1", 10)] == ["hi", "re: hi"]


def test_tenants_never_see_each_other(store: Store) -> None:
    a, b = turn(tenant="acme", text="acme secret"), turn(tenant="globex", user="u2", text="globex secret")
    store.record_turn(a)
    store.record_turn(b)  # same thread id, other tenant, other user: no conflict
    assert store.recent_messages("acme", "t1", 10)[0].content == "acme secret"
    assert store.recent_messages("globex", "t1", 10)[0].content == "globex secret"
    assert store.get_request("globex", a.request.request_id) is None
    assert store.list_threads("acme", "u2").items == []


def test_messages_page_through_in_order(store: Store) -> None:
    for i in range(7):
        store.record_turn(turn(text=f"m{i}", at=1000.0 + i))
    seen, cursor = [], None
    while True:
        page = store.list_messages("default", "t1", limit=4, cursor=cursor)
        seen += [m.content for m in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [x for i in range(7) for x in (f"m{i}", f"re: m{i}")]


def test_pages_are_full_even_past_a_backend_page_size_limit(store: Store) -> None:
    """DynamoDB ends a Query page at 1 MB: a long thread must still page fully and in order."""
    big = "x" * 30_000
    for i in range(20):  # 40 messages of ~30 KB: ~1.2 MB in one partition
        store.record_turn(turn(text=f"{i:02d}{big}", at=1000.0 + i))
    first = store.list_messages("default", "t1", limit=38)
    assert len(first.items) == 38 and first.next_cursor is not None
    rest = store.list_messages("default", "t1", limit=38, cursor=first.next_cursor)
    assert len(rest.items) == 2 and rest.next_cursor is None
    contents = [m.content[:6] for m in first.items + rest.items]
    assert contents == [x for i in range(20) for x in (f"{i:02d}xxxx", f"re: {i:02d}")]


@pytest.mark.parametrize("cursor", ["garbage", "1.5|", "abc|t1", "|t1"])
def test_a_bad_thread_cursor_is_the_callers_error(store: Store, cursor: str) -> None:
    store.record_turn(turn())
    with pytest.raises(InvalidRequestError, match="cursor"):
        store.list_threads("default", "u1", cursor=cursor)


def test_threads_list_newest_first_with_pages(store: Store) -> None:
    for i in range(5):
        store.record_turn(turn(thread=f"th{i}", at=1000.0 + i))
    store.record_turn(turn(thread="th0", at=2000.0))  # th0 becomes the most recent
    store.record_turn(turn(thread="other", user="u9"))
    first = store.list_threads("default", "u1", limit=3)
    assert [t.thread_id for t in first.items] == ["th0", "th4", "th3"]
    second = store.list_threads("default", "u1", limit=3, cursor=first.next_cursor)
    assert [t.thread_id for t in second.items] == ["th2", "th1"] and second.next_cursor is None


def test_data_survives_a_restart(open_store: StoreFactory) -> None:
    first = open_store()
    t = turn(text="remember me")
    first.record_turn(t)
    first.close()
    again = open_store()
    assert [m.content for m in again.recent_messages("default", "t1", 10)] == [
        "remember me",
        "re: remember me",
    ]
    assert again.get_request("default", t.request.request_id) is not None


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    def write(n: int) -> None:
        for i in range(10):
            store.record_turn(turn(text=f"w{n}-{i}"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(store.recent_messages("default", "t1", 1000)) == 160
    assert store.get_thread("default", "t1").message_count == 160  # type: ignore[union-attr]


def test_a_turn_must_be_consistent(store: Store) -> None:
    t = turn()
    bad = t.model_copy(update={"user_message": t.user_message.model_copy(update={"thread_id": "elsewhere"})})
    with pytest.raises(InvalidRequestError):
        store.record_turn(bad)
    assert store.get_request("default", t.request.request_id) is None


def event(tenant: str, request: str, event_id: str, at: float, kind: str = "agent.selected") -> EventRecord:
    return EventRecord(
        tenant_id=tenant,
        request_id=request,
        event_id=event_id,
        type=kind,
        version=1,
        occurred_at=at,
        body={"type": kind, "event_id": event_id},
    )


def test_events_are_stored_once_in_order_and_per_tenant(store: Store) -> None:
    batch = [event("acme", "r1", "e2", 2.0), event("acme", "r1", "e1", 1.0), event("acme", "r2", "e3", 3.0)]
    store.record_events(batch)
    store.record_events(batch[:2])  # re-delivered: nothing twice
    assert [e.event_id for e in store.list_events("acme", "r1")] == ["e1", "e2"]
    assert store.list_events("acme", "r1")[0].body == {"type": "agent.selected", "event_id": "e1"}
    assert store.list_events("globex", "r1") == []
    store.record_events([event("acme", "big", f"e{i:03d}", float(i)) for i in range(60)])  # over one batch
    assert len(store.list_events("acme", "big")) == 60


def test_events_arriving_again_in_other_batches_are_listed_once_and_erased_with_their_thread(store: Store) -> None:
    t = turn(thread="t1")
    assert store.record_turn(t)
    rid = t.request.request_id
    first = [event("default", rid, "e1", 1.5, "request.received"), event("default", rid, "e2", 2.25)]
    store.record_events(first)
    store.record_events([first[1], event("default", rid, "e3", 3.0), event("default", "other", "e4", 4.0)])
    store.record_events([first[0]])  # alone this time
    listed = store.list_events("default", rid)
    assert [(e.event_id, e.type, e.version, e.occurred_at) for e in listed] == [
        ("e1", "request.received", 1, 1.5),
        ("e2", "agent.selected", 1, 2.25),
        ("e3", "agent.selected", 1, 3.0),
    ]
    assert listed[0] == first[0] and listed[1] == first[1]
    assert store.delete_thread("default", "t1").events == 3
    assert store.list_events("default", rid) == [] and len(store.list_events("default", "other")) == 1


# ---- the model registry -------------------------------------------------------------------------------
def model(kind: str = "router", at: float = 1000.0, accuracy: float = 0.9) -> ModelVersion:
    return ModelVersion(
        kind=kind,
        created_at=at,
        artifact=f"models/{kind}/{at}",
        metrics={"accuracy": accuracy},
        data={"source": "clinc150/train.jsonl", "rows": 15100, "sha256": "ab" * 32},
        params={"epochs": 3},
    )


def test_model_versions_are_numbered_in_order_per_kind(store: Store) -> None:
    assert store.list_model_versions("router") == [] and store.champion("router") is None
    builtin = store.add_model_version(model(at=1.0), number=0)
    first, second = store.add_model_version(model(at=2.0)), store.add_model_version(model(at=3.0))
    other = store.add_model_version(model("sentiment"))
    assert (builtin.version, first.version, second.version, other.version) == (0, 1, 2, 1)
    listed = store.list_model_versions("router")
    assert [(v.version, v.status, v.created_at) for v in listed] == [
        (0, "candidate", 1.0),
        (1, "candidate", 2.0),
        (2, "candidate", 3.0),
    ]
    assert store.get_model_version("router", 2) == listed[2]
    assert listed[1].data["rows"] == 15100 and listed[1].metrics == {"accuracy": 0.9}
    with pytest.raises(ConflictError):
        store.add_model_version(model(), number=1)


def test_promotion_and_rollback_keep_one_champion(store: Store) -> None:
    for at in (1.0, 2.0, 3.0):
        store.add_model_version(model(at=at), number=None if at > 1 else 0)
    store.set_champion("router", 0, expected=None)
    store.set_champion("router", 2, expected=0)
    assert store.champion("router").version == 2  # type: ignore[union-attr]
    assert [v.status for v in store.list_model_versions("router")] == ["retired", "candidate", "champion"]
    store.set_champion("router", 0)  # rollback: one call
    assert [v.status for v in store.list_model_versions("router")] == ["champion", "candidate", "retired"]
    with pytest.raises(ConflictError):  # a promotion decided against a stale champion is refused
        store.set_champion("router", 1, expected=2)
    assert store.champion("router").version == 0  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        store.set_champion("router", 9)
    assert store.champion("sentiment") is None


def test_concurrent_registrations_get_distinct_numbers(store: Store) -> None:
    numbers: list[int] = []

    def register() -> None:
        for _ in range(5):
            numbers.append(store.add_model_version(model()).version)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(numbers) == list(range(1, 21))
