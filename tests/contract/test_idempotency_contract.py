"""One contract for Idempotency-Key records on both persistence layers: Mastra's SQLite layer and
Powertools' DynamoDBPersistenceLayer (on the template's table, under moto)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra.errors import ConflictError, InvalidRequestError, StorageError
from mastra.idempotency import Idempotency, StoredResponse

TABLE = "mastra-idempotency-contract"


@pytest.fixture(params=["sqlite", "dynamodb"])
def layer_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Makes persistence layers over the same records (each Idempotency configures its own)."""
    if request.param == "sqlite":
        from mastra.idempotency.sqlite import SQLitePersistenceLayer
        from mastra.storage.sqlite_db import SQLiteDatabase

        db = SQLiteDatabase(tmp_path / "mastra.db")
        yield lambda: SQLitePersistenceLayer(db)
        db.close()
        return
    import boto3
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from moto import mock_aws
    from tests.awsmock import create_idempotency_table

    with mock_aws():
        create_idempotency_table(boto3.client("dynamodb"), TABLE)
        yield lambda: DynamoDBPersistenceLayer(table_name=TABLE, boto3_client=boto3.client("dynamodb"))


def service(layer_factory: Any, *, ttl_s: float = 3600, lease_s: float = 60) -> Idempotency:
    return Idempotency(layer_factory(), ttl_s=ttl_s, lease_s=lease_s)


SCOPE = {"tenant": "t1", "actor": "k1", "method": "POST", "path": "/v1/things", "key": "abc"}


class Counter:
    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.status = status

    def __call__(self) -> StoredResponse:
        self.calls += 1
        return StoredResponse(self.status, f'{{"n":{self.calls}}}', headers={"etag": '"1"'})


def test_a_retry_gets_the_first_response_and_runs_nothing(layer_factory: Any) -> None:
    idem, call = service(layer_factory), Counter()
    first, replayed = idem.run(SCOPE, {"body": {"a": 1}}, call)
    assert (first.status, first.body, replayed) == (200, '{"n":1}', False)
    again, replayed = idem.run(SCOPE, {"body": {"a": 1}}, call)
    assert (again, replayed, call.calls) == (first, True, 1)
    other_process = service(layer_factory)  # another instance, same records
    assert other_process.run(SCOPE, {"body": {"a": 1}}, call) == (first, True)
    assert call.calls == 1


def test_the_key_is_scoped_by_tenant_actor_method_path_and_key(layer_factory: Any) -> None:
    idem, call = service(layer_factory), Counter()
    idem.run(SCOPE, {}, call)
    for field, value in [("tenant", "t2"), ("actor", "k2"), ("method", "PUT"), ("path", "/v1/other"), ("key", "x")]:
        _, replayed = idem.run({**SCOPE, field: value}, {}, call)
        assert not replayed, field
    assert call.calls == 6


def test_the_same_key_with_another_payload_is_refused(layer_factory: Any) -> None:
    idem, call = service(layer_factory), Counter()
    idem.run(SCOPE, {"body": {"a": 1}}, call)
    with pytest.raises(InvalidRequestError, match="different request body"):
        idem.run(SCOPE, {"body": {"a": 2}}, call)
    assert call.calls == 1


def test_a_duplicate_while_the_first_runs_is_a_conflict(layer_factory: Any) -> None:
    idem = service(layer_factory)
    inside, release = threading.Event(), threading.Event()
    results: list[Any] = []

    def slow() -> StoredResponse:
        inside.set()
        assert release.wait(10)
        return StoredResponse(201, '{"ok":true}')

    first = threading.Thread(target=lambda: results.append(idem.run(SCOPE, {}, slow)))
    first.start()
    assert inside.wait(10)
    with pytest.raises(ConflictError, match="still in progress"):
        service(layer_factory).run(SCOPE, {}, Counter())
    release.set()
    first.join()
    assert results == [(StoredResponse(201, '{"ok":true}'), False)]
    assert idem.run(SCOPE, {}, Counter()) == (StoredResponse(201, '{"ok":true}'), True)


def test_an_in_progress_claim_whose_lease_ran_out_can_be_taken_over(layer_factory: Any) -> None:
    """A process that died mid-call does not block its key until the record expires."""
    idem = service(layer_factory, lease_s=0.001)
    layer = idem.layer
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyItemAlreadyExistsError

    idem.run(SCOPE, {}, Counter())  # configures the layer
    other = {**SCOPE, "key": "crashed"}
    data = {"scope": other, "payload": {}}
    layer.save_inprogress(data, remaining_time_in_millis=1)  # the crashed call's claim
    time.sleep(0.01)
    response, replayed = idem.run(other, {}, Counter(202))
    assert (response.status, replayed) == (202, False)
    with pytest.raises(IdempotencyItemAlreadyExistsError):
        layer.save_inprogress(data, remaining_time_in_millis=60_000)  # completed now: held


def test_responses_that_are_not_final_are_not_stored(layer_factory: Any) -> None:
    idem = service(layer_factory)
    for status in (500, 503, 429):
        call = Counter(status)
        assert idem.run(SCOPE, {}, call) == (StoredResponse(status, '{"n":1}', headers={"etag": '"1"'}), False)
        assert idem.run(SCOPE, {}, call)[0].body == '{"n":2}'  # ran again
    final = Counter(404)
    assert idem.run(SCOPE, {}, final)[1] is False
    assert idem.run(SCOPE, {}, final) == (StoredResponse(404, '{"n":1}', headers={"etag": '"1"'}), True)


def test_an_exception_releases_the_key(layer_factory: Any) -> None:
    idem = service(layer_factory)

    def boom() -> StoredResponse:
        raise StorageError("store down")

    with pytest.raises(StorageError, match="store down"):
        idem.run(SCOPE, {}, boom)
    assert idem.run(SCOPE, {}, Counter()) == (StoredResponse(200, '{"n":1}', headers={"etag": '"1"'}), False)


def test_records_expire_after_the_configured_time(layer_factory: Any) -> None:
    idem, call = service(layer_factory, ttl_s=3600), Counter()
    before = int(time.time())
    idem.run(SCOPE, {}, call)
    layer = idem.layer
    key = layer._get_hashed_idempotency_key({"scope": SCOPE, "payload": {}})
    record = layer._get_record(key)
    assert record.status == "COMPLETED" and before + 3600 <= record.expiry_timestamp <= int(time.time()) + 3600
    record.expiry_timestamp = int(time.time()) - 1  # as if a day had passed
    layer._update_record(record)
    response, replayed = idem.run(SCOPE, {}, call)
    assert (replayed, call.calls, response.body) == (False, 2, '{"n":2}')
