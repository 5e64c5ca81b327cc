"""One contract for async-request status records on every backend (SQLite and DynamoDB under moto)."""

from __future__ import annotations

import threading
import time

import pytest
from tests.contract.conftest import StoreFactory, turn

from mastra.async_requests import RequestError, RequestStatus, RequestStatusStore
from mastra.errors import ConflictError
from mastra.storage import Store


def status_store(store: Store) -> RequestStatusStore:
    if store.backend == "dynamodb":
        from mastra.async_requests.dynamodb import DynamoDBRequestStatusStore

        return DynamoDBRequestStatusStore.sharing(store)  # type: ignore[arg-type]
    from mastra.async_requests.sqlite import SQLiteRequestStatusStore

    return SQLiteRequestStatusStore(store.db)  # type: ignore[attr-defined]


def record(rid: str = "r1", tenant: str = "default", thread_id: str = "t1", **kw: object) -> RequestStatus:
    now = time.time()
    return RequestStatus(
        request_id=rid, tenant_id=tenant, user_id="u1", thread_id=thread_id, created_at=now, updated_at=now, **kw
    )  # type: ignore[arg-type]


def test_create_then_get_and_a_second_create_is_a_conflict(store: Store) -> None:
    statuses = status_store(store)
    created = statuses.create(record())
    assert created.revision == 1 and created.status == "queued"
    assert statuses.get("default", "r1") == created
    with pytest.raises(ConflictError):
        statuses.create(record())
    assert statuses.get("default", "nope") is None


def test_records_are_scoped_by_tenant(store: Store) -> None:
    statuses = status_store(store)
    statuses.create(record(tenant="acme"))
    assert statuses.get("default", "r1") is None and statuses.get("acme", "r1") is not None
    statuses.create(record(tenant="default"))  # the same id in another tenant is another record
    assert statuses.get("default", "r1") is not None


def test_updates_are_optimistic_a_stale_revision_loses(store: Store) -> None:
    statuses = status_store(store)
    first = statuses.create(record())
    running = statuses.update(first.model_copy(update={"status": "running", "runs": 1}))
    assert running is not None and running.revision == 2
    stale = statuses.update(first.model_copy(update={"status": "failed"}))
    assert stale is None
    done = statuses.update(
        running.model_copy(update={"status": "failed", "error": RequestError(error="x", message="y")})
    )
    assert done is not None and done.revision == 3
    assert statuses.get("default", "r1") == done


def test_an_expired_record_is_not_returned(store: Store) -> None:
    statuses = status_store(store)
    statuses.create(record(expires_at=time.time() - 1))
    assert statuses.get("default", "r1") is None


def test_records_survive_a_restart(open_store: StoreFactory) -> None:
    status_store(open_store()).create(record())
    assert status_store(open_store()).get("default", "r1") is not None


def test_concurrent_updates_from_one_revision_one_wins(store: Store) -> None:
    statuses = status_store(store)
    first = statuses.create(record())
    results: list[RequestStatus | None] = []
    barrier = threading.Barrier(4)

    def worker(k: int) -> None:
        barrier.wait()
        results.append(statuses.update(first.model_copy(update={"runs": k + 1})))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and statuses.get("default", "r1") == winners[0]


def test_the_record_goes_with_its_thread_and_its_user(store: Store) -> None:
    statuses = status_store(store)
    for thread in ("t1", "t2"):
        t = turn(thread=thread)
        store.record_turn(t)
        statuses.create(record(rid=t.request.request_id, thread_id=thread))
        if thread == "t1":
            deleted = t.request.request_id
        else:
            erased = t.request.request_id
    store.delete_thread("default", "t1")
    assert statuses.get("default", deleted) is None and statuses.get("default", erased) is not None
    store.erase_user("default", "u1")
    assert statuses.get("default", erased) is None
