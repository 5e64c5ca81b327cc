"""Memory on every backend: embeddings live and die with their messages, profiles merge without
losing a field, summaries and profiles are versioned, retention and erasure leave nothing behind."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

import numpy as np
import pytest
from tests.contract.conftest import turn

from mastra.errors import ConflictError, NotFoundError
from mastra.memory.vectors import pack, unpack_many
from mastra.storage import EventRecord, Store
from mastra.storage.models import TenantConfig, ThreadSummary

ENC = "enc-test"
DIM = 8


def vec(seed: int) -> bytes:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return pack(v / np.linalg.norm(v), ENC)


def everything(store: Store) -> list[str]:
    """Every stored record of the backend, as text (to prove something is gone)."""
    if store.backend == "sqlite":
        conn = sqlite3.connect(store.path)  # type: ignore[attr-defined]
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = [f"{t}:{row}" for t in tables for row in conn.execute(f"SELECT * FROM {t}")]
        conn.close()
        return rows
    client: Any = store.client  # type: ignore[attr-defined]
    items: list[str] = []
    for page in client.get_paginator("scan").paginate(TableName=store.table):  # type: ignore[attr-defined]
        items += [json.dumps(i, default=str) for i in page["Items"]]
    return items


def test_embeddings_are_stored_with_their_messages_and_scoped_to_the_user(store: Store) -> None:
    store.record_turn(turn(thread="a", user="ana", text="hello", vectors=(vec(1), vec(2))))
    store.record_turn(turn(thread="b", user="ana", text="again", vectors=(vec(3), None)))
    store.record_turn(turn(thread="c", user="bob", text="mine", vectors=(vec(4), vec(5))))
    store.record_turn(turn(thread="d", user="ana", tenant="other", text="elsewhere", vectors=(vec(6), vec(7))))
    mine = store.message_vectors("default", "ana")
    assert sorted(v.thread_id for v in mine) == ["a", "a", "b"]  # the message without one is not there
    assert {v.thread_id for v in store.message_vectors("default", "ana", "a")} == {"a"}
    assert {v.thread_id for v in store.message_vectors("default", "bob")} == {"c"}
    assert store.message_vectors("default", "bob", "a") == []  # another user's thread: nothing
    matrix, _ = unpack_many([v.vector for v in mine], ENC, DIM)
    assert matrix.shape == (3, DIM) and np.allclose(np.linalg.norm(matrix, axis=1), 1, atol=1e-5)
    assert len(unpack_many([v.vector for v in mine], "another-encoder", DIM)[1]) == 0


def test_messages_by_id_and_around(store: Store) -> None:
    turns = [turn(thread="t", text=f"m{i}", at=1000.0 + i) for i in range(4)]
    for t in turns:
        store.record_turn(t)
    ids = [m.message_id for t in turns for m in (t.user_message, t.assistant_message)]
    assert [m.content for m in store.get_messages("default", "t", [ids[3], ids[0], "nope"])] == ["m0", "re: m1"]
    around = store.messages_around("default", "t", ids[4], 1)
    assert [m.content for m in around] == ["re: m1", "m2", "re: m2"]
    assert [m.content for m in store.messages_around("default", "t", ids[0], 2)] == ["m0", "re: m0", "m1"]
    assert [m.content for m in store.messages_around("default", "t", ids[7], 0)] == ["re: m3"]


def test_concurrent_profile_updates_lose_no_field(store: Store) -> None:
    writers = 12
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            store.update_working_memory("default", "ana", lambda cur: ({f"f{i}": i}, []), source=f"w{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    wm = store.get_working_memory("default", "ana")
    assert wm.fields == {f"f{i}": i for i in range(writers)}
    assert wm.version == writers
    history = store.working_memory_history("default", "ana")
    assert [c.version for c in history] == list(range(1, writers + 1))
    assert sorted(c.source for c in history) == sorted(f"w{i}" for i in range(writers))


def test_profile_merges_removes_and_checks_versions(store: Store) -> None:
    assert store.get_working_memory("default", "ana").version == 0
    wm = store.update_working_memory("default", "ana", lambda cur: ({"name": "Ana", "city": "Oslo"}, []), source="a")
    assert (wm.version, wm.fields) == (1, {"name": "Ana", "city": "Oslo"})
    same = store.update_working_memory("default", "ana", lambda cur: ({"name": "Ana"}, []), source="b")
    assert same.version == 1  # nothing changed: nothing written
    wm = store.update_working_memory("default", "ana", lambda cur: ({}, ["city", "absent"]), source="c")
    assert (wm.version, wm.fields) == (2, {"name": "Ana"})
    with pytest.raises(ConflictError):
        store.update_working_memory("default", "ana", lambda cur: ({"name": "X"}, []), source="d", expected_version=1)
    assert store.get_working_memory("default", "ana").fields == {"name": "Ana"}
    assert store.get_working_memory("other", "ana").version == 0  # per tenant
    assert [(c.set, c.removed) for c in store.working_memory_history("default", "ana")] == [
        ({"name": "Ana", "city": "Oslo"}, []),
        ({}, ["city"]),
    ]


def test_summaries_are_versioned_and_a_stale_writer_loses(store: Store) -> None:
    store.record_turn(turn(thread="t"))

    def summary(version: int, text: str) -> ThreadSummary:
        return ThreadSummary(
            tenant_id="default",
            thread_id="t",
            user_id="u1",
            version=version,
            text=text,
            through="x",
            messages=4,
            updated_at=1000.0,
        )

    assert store.get_summary("default", "t") is None
    assert store.put_summary(summary(1, "first")) is True
    assert store.put_summary(summary(1, "racing first")) is False
    assert store.put_summary(summary(2, "second")) is True
    assert store.put_summary(summary(2, "stale second")) is False
    assert store.get_summary("default", "t").text == "second"  # type: ignore[union-attr]


def _fill(store: Store, user: str, thread: str, tenant: str = "default") -> list[str]:
    ids = []
    for i in range(3):
        t = turn(thread=thread, user=user, tenant=tenant, text=f"{user} says {i}", vectors=(vec(i), vec(i + 9)))
        store.record_turn(t)
        ids.append(t.request.request_id)
        store.record_events(
            [
                EventRecord(
                    tenant_id=tenant,
                    request_id=t.request.request_id,
                    event_id=f"{t.request.request_id}:x",
                    type="request.received",
                    version=1,
                    occurred_at=1000.0 + i,
                    body={"user_id": user},
                )
            ]
        )
    store.update_working_memory(tenant, user, lambda cur: ({"name": user}, []), source="api")
    store.put_summary(
        ThreadSummary(
            tenant_id=tenant,
            thread_id=thread,
            user_id=user,
            text=f"{user} summary",
            through="z",
            messages=2,
            updated_at=1000.0,
        )
    )
    return ids


def test_deleting_a_thread_removes_its_messages_embeddings_summary_requests_and_events(store: Store) -> None:
    requests = _fill(store, "ana", "gone")
    _fill(store, "ana", "kept")
    erased = store.delete_thread("default", "gone")
    assert (erased.threads, erased.messages, erased.requests, erased.events, erased.summaries) == (1, 6, 3, 3, 1)
    assert store.get_thread("default", "gone") is None
    assert store.recent_messages("default", "gone", 10) == []
    assert {v.thread_id for v in store.message_vectors("default", "ana")} == {"kept"}
    assert store.get_summary("default", "gone") is None
    assert all(store.get_request("default", r) is None for r in requests)
    assert all(store.list_events("default", r) == [] for r in requests)
    assert len(store.recent_messages("default", "kept", 10)) == 6
    with pytest.raises(NotFoundError):
        store.delete_thread("default", "gone")


def test_erasing_a_user_leaves_nothing_of_theirs(store: Store) -> None:
    user = "erase-me-7f3a"
    _fill(store, user, "th-one")
    _fill(store, user, "th-two")
    _fill(store, "keep-me", "th-three")
    _fill(store, user, "th-four", tenant="other")  # another tenant's user of the same name is another person
    before = everything(store)
    assert any(user in row for row in before)
    erased = store.erase_user("default", user)
    assert (erased.threads, erased.messages, erased.requests, erased.events) == (2, 12, 6, 6)
    assert erased.summaries == 2 and erased.working_memory == 2  # the profile and its one change
    left = [row for row in everything(store) if user in row]
    assert left and all("other" in row for row in left), left  # only the other tenant's records
    assert store.erase_user("default", user) == type(erased)()  # idempotent: nothing more to do
    assert len(store.recent_messages("default", "th-three", 10)) == 6
    assert store.get_working_memory("default", "keep-me").fields == {"name": "keep-me"}
    assert store.get_working_memory("other", user).fields == {"name": user}


def test_retention_is_per_tenant_and_expired_memory_is_never_read(store: Store) -> None:
    store.clock = lambda: 1000.0
    store.set_tenant_config(TenantConfig(tenant_id="brief", retention_days=1))
    _fill(store, "ana", "t", tenant="brief")
    _fill(store, "ana", "t", tenant="default")  # no retention: kept
    thread = store.get_thread("brief", "t")
    assert thread is not None and thread.expires_at is not None and thread.expires_at - 1002 <= 86400
    assert len(store.recent_messages("brief", "t", 10)) == 6  # alive now (written at t=1000 + 1 day)
    store.clock = lambda: 1000.0 + 2 * 86400  # two days later
    assert store.recent_messages("brief", "t", 10) == []
    assert store.list_messages("brief", "t").items == []
    assert store.list_threads("brief", "ana").items == []
    assert store.message_vectors("brief", "ana") == []
    assert store.get_summary("brief", "t") is None
    assert store.get_working_memory("brief", "ana").fields == {}
    assert len(store.recent_messages("default", "t", 10)) == 6
    assert store.get_working_memory("default", "ana").fields == {"name": "ana"}
    purged = store.purge_expired()
    if store.backend == "sqlite":  # DynamoDB's TTL deletes on its own; reads above already skip them
        assert purged >= 6
        assert not [row for row in everything(store) if "brief" in row and "tenants" not in row]


@pytest.fixture
def payloads(store: Store, tmp_path: Any) -> Any:
    """Local files beside SQLite; the artifacts bucket (moto S3) beside DynamoDB."""
    from mastra.storage.payloads import LocalPayloads, S3Payloads

    if store.backend == "sqlite":
        store.payloads = LocalPayloads(tmp_path / "payloads")
    else:
        import boto3

        boto3.client("s3").create_bucket(Bucket="mastra-artifacts")
        store.payloads = S3Payloads("mastra-artifacts")
    return store.payloads


def test_a_message_too_large_for_a_record_is_kept_beside_it(store: Store, payloads: Any) -> None:
    big = "lorem ipsum dolor sit amet " * 20_000  # 540 KB: over DynamoDB's 400 KB item cap
    t = turn(thread="big", user="ana", text=big)
    t = t.model_copy(update={"request": t.request.model_copy(update={"response": {"answer": big, "trace": {}}})})
    assert store.record_turn(t) is True
    assert [m.content for m in store.recent_messages("default", "big", 10)] == [big, f"re: {big}"]
    assert store.list_messages("default", "big").items[0].content == big
    assert store.get_request("default", t.request.request_id).response["answer"] == big  # type: ignore[union-attr]
    raw = store._latest_messages("default", "big", 1)[0]
    assert raw.content_ref and len(raw.content) < 2000  # the record holds a preview and the pointer
    store.record_turn(turn(thread="small", user="ana"))
    store.delete_thread("default", "big")
    with pytest.raises(NotFoundError):
        payloads.get(raw.content_ref)
    store.record_turn(turn(thread="big2", user="ana", text=big))
    ref = store._latest_messages("default", "big2", 1)[0].content_ref
    store.erase_user("default", "ana")
    with pytest.raises(NotFoundError):
        payloads.get(ref)


def test_expired_profile_and_summary_are_replaced_not_blocking(store: Store) -> None:
    store.clock = lambda: 1000.0
    store.set_tenant_config(TenantConfig(tenant_id="brief", retention_days=1))
    store.record_turn(turn(thread="t", user="ana", tenant="brief"))
    store.update_working_memory("brief", "ana", lambda cur: ({"name": "Ana"}, []), source="a")
    first = ThreadSummary(
        tenant_id="brief", thread_id="t", user_id="ana", text="old", through="x", messages=2, updated_at=1000.0
    )
    assert store.put_summary(first)
    store.clock = lambda: 1000.0 + 3 * 86400  # expired, but perhaps not deleted yet (DynamoDB's TTL lags)
    wm = store.get_working_memory("brief", "ana")
    assert wm.fields == {} and wm.version == 1
    wm = store.update_working_memory("brief", "ana", lambda cur: ({"city": "Oslo"}, []), source="b")
    assert wm.fields == {"city": "Oslo"} and wm.version == 2
    assert store.get_summary("brief", "t") is None and store.summary_version("brief", "t") == 1
    second = first.model_copy(update={"version": 2, "text": "new", "updated_at": store.clock()})
    assert store.put_summary(second) and store.get_summary("brief", "t").text == "new"  # type: ignore[union-attr]


def _drop_thread_record(store: Store, thread: str) -> None:
    """What an expired thread record looks like once it is deleted before its messages."""
    if store.backend == "sqlite":
        conn = sqlite3.connect(store.path)  # type: ignore[attr-defined]
        conn.execute("DELETE FROM threads WHERE thread_id = ?", (thread,))
        conn.commit()
        conn.close()
    else:
        store.client.delete_item(  # type: ignore[attr-defined]
            TableName=store.table,
            Key={"PK": {"S": f"T#default#TH#{thread}"}, "SK": {"S": "META"}},  # type: ignore[attr-defined]
        )


def test_a_thread_whose_record_is_gone_still_belongs_to_its_user(store: Store) -> None:
    store.record_turn(turn(thread="t", user="ana", text="my secret"))
    _drop_thread_record(store, "t")
    assert store.get_thread("default", "t") is None
    with pytest.raises(ConflictError):
        store.check_thread_owner("default", "t", "mallory")
    store.check_thread_owner("default", "t", "ana")


def test_local_payload_keys_cannot_leave_their_folder(tmp_path: Any) -> None:
    from mastra.errors import StorageError
    from mastra.storage.payloads import LocalPayloads

    payloads = LocalPayloads(tmp_path / "p")
    payloads.put("t/ana/th/1", b"keep")
    for key in ["t/../x", "t/./x", "../x", "t//x", "t\\x/y"]:
        with pytest.raises(StorageError):
            payloads.put(key, b"x")
    for prefix in ["t/", "t", "/", "t/.."]:
        with pytest.raises(StorageError):
            payloads.delete_prefix(prefix)
    assert payloads.get("t/ana/th/1") == b"keep"


def test_purging_expired_memory_deletes_its_large_payloads_too(store: Store, payloads: Any) -> None:
    if store.backend != "sqlite":
        pytest.skip("DynamoDB's TTL deletes items; the bucket's lifecycle rule expires memory/ (template.yaml)")
    store.clock = lambda: 1000.0
    store.set_tenant_config(TenantConfig(tenant_id="brief", retention_days=1))
    store.record_turn(turn(thread="t", user="ana", tenant="brief", text="x" * 100_000))
    ref = store._latest_messages("brief", "t", 2)[1].content_ref
    assert ref and payloads.get(ref)
    store.clock = lambda: 1000.0 + 2 * 86400
    assert store.purge_expired() > 0
    with pytest.raises(NotFoundError):
        payloads.get(ref)


def test_an_edit_replaces_content_and_embedding_together(store: Store) -> None:
    t = turn(thread="t", user="ana", text="old words", vectors=(vec(1), vec(2)))
    store.record_turn(t)
    mid = t.user_message.message_id
    edited = store.edit_message("default", "t", mid, "new words", vec(3))
    assert edited.content == "new words"
    assert store.get_messages("default", "t", [mid])[0].content == "new words"
    assert {v.message_id: v.vector for v in store.message_vectors("default", "ana")}[mid] == vec(3)
    store.edit_message("default", "t", mid, "no vector now", None)
    assert mid not in {v.message_id for v in store.message_vectors("default", "ana")}
    with pytest.raises(NotFoundError):
        store.edit_message("default", "t", "missing.0", "x", None)


def test_a_turn_in_flight_during_an_erasure_is_refused_not_resurrected(store: Store) -> None:
    store.clock = lambda: 2000.0
    in_flight = turn(thread="t", user="ana", text="received before the erasure", at=1999.0)
    store.record_turn(turn(thread="old", user="ana", at=1000.0))
    store.erase_user("default", "ana")
    with pytest.raises(ConflictError, match="erased"):
        store.record_turn(in_flight)  # its Remember step ran after the erasure began
    assert store.message_vectors("default", "ana") == [] and store.list_threads("default", "ana").items == []
    assert store.record_turn(turn(thread="new", user="ana", text="back again", at=2001.0)) is True  # a new request
    assert [t.thread_id for t in store.list_threads("default", "ana").items] == ["new"]
