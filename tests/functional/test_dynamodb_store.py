"""DynamoDB-specific behaviour beyond the shared contract: conflicts, errors, TTL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from tests.awsmock import create_table
from tests.contract.test_storage_contract import turn

from mastra.errors import StorageError, StorageRejectedError
from mastra.storage.dynamodb import DynamoDBStore
from mastra.storage.response_dict import RESPONSE_DICT_V1


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, "mastra-test")
        yield client


class Flaky:
    """A client whose first ``fail`` transactions are cancelled with the given reason."""

    def __init__(self, real: Any, fail: int, reason: str = "TransactionConflict") -> None:
        self.real, self.fail, self.reason, self.calls = real, fail, reason, 0

    def transact_write_items(self, **kw: Any) -> Any:
        self.calls += 1
        if self.calls <= self.fail:
            reasons = [{"Code": "None"}, {"Code": self.reason}, {"Code": "None"}, {"Code": "None"}]
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        return self.real.transact_write_items(**kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_transaction_conflicts_from_concurrent_turns_are_retried(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mastra.storage.dynamodb.time.sleep", lambda s: None)
    flaky = Flaky(ddb, fail=3)
    store = DynamoDBStore("mastra-test", client=flaky)
    assert store.record_turn(turn()) is True
    assert flaky.calls == 4 and len(store.recent_messages("default", "t1", 10)) == 2


def test_a_thread_that_stays_busy_is_a_retryable_error(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mastra.storage.dynamodb.time.sleep", lambda s: None)
    store = DynamoDBStore("mastra-test", client=Flaky(ddb, fail=100))
    with pytest.raises(StorageError, match="stayed busy") as info:
        store.record_turn(turn())
    assert info.value.retryable
    assert store.recent_messages("default", "t1", 10) == []  # nothing half-written


def test_failures_no_retry_can_fix_are_rejections_and_write_nothing(ddb: Any) -> None:
    with pytest.raises(StorageRejectedError, match="ValidationError"):
        DynamoDBStore("mastra-test", client=Flaky(ddb, fail=1, reason="ValidationError")).record_turn(turn())
    with pytest.raises(StorageRejectedError, match="ResourceNotFoundException"):
        DynamoDBStore("no-such-table", client=ddb).record_turn(turn())
    too_big = turn(text="x" * 410_000)  # over DynamoDB's 400 KB item limit
    with pytest.raises(StorageRejectedError, match="ValidationException"):
        DynamoDBStore("mastra-test", client=ddb).record_turn(too_big)
    assert not StorageRejectedError.retryable and StorageError.retryable
    assert DynamoDBStore("mastra-test", client=ddb).get_thread("default", "t1") is None


def test_retention_sets_the_ttl_attribute_on_every_item(ddb: Any) -> None:
    t = turn(at=1000.0)
    DynamoDBStore("mastra-test", client=ddb, retention_days=30).record_turn(t)
    items = ddb.scan(TableName="mastra-test")["Items"]
    assert len(items) == 4  # request, thread, two messages
    assert {int(i["expires_at"]["N"]) for i in items} == {int(1000.001 + 30 * 86400)}
    ttl = ddb.describe_time_to_live(TableName="mastra-test")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


def test_the_request_record_is_stored_deflated(ddb: Any) -> None:
    """A transactional write costs 2 WRU per started KB: the ~2.7 KB response is kept compressed."""
    import json
    import zlib

    t = turn()
    big = {"answer": "a" * 2000, "trace": {"steps": ["select_agent"] * 100}}
    t = t.model_copy(update={"request": t.request.model_copy(update={"response": big})})
    store = DynamoDBStore("mastra-test", client=ddb)
    store.record_turn(t)
    key = {"PK": {"S": f"T#default#RQ#{t.request.request_id}"}, "SK": {"S": "REQ"}}
    item = ddb.get_item(TableName="mastra-test", Key=key)["Item"]
    assert "response" not in item and len(item["response_z1"]["B"]) < len(json.dumps(big)) / 10
    z = zlib.decompressobj(15, RESPONSE_DICT_V1)
    assert json.loads(z.decompress(item["response_z1"]["B"]) + z.flush()) == big
    assert store.get_request("default", t.request.request_id).response == big  # type: ignore[union-attr]


def test_the_response_dictionary_never_changes_and_older_records_stay_readable(ddb: Any) -> None:
    """Records deflated against it are unreadable with any other bytes: a new dictionary is a new
    attribute. Records written before it (``response_z``: deflated alone) are still read."""
    import hashlib
    import json
    import zlib

    from mastra.storage.response_dict import RESPONSE_DICT_V1_SHA256

    assert hashlib.sha256(RESPONSE_DICT_V1).hexdigest() == RESPONSE_DICT_V1_SHA256
    assert RESPONSE_DICT_V1_SHA256 == "0173c131f4bc69745290b3ac2868ac522855f02cd3e80f1c8b216f9b936b6464"
    t = turn()
    store = DynamoDBStore("mastra-test", client=ddb)
    store.record_turn(t)
    key = {"PK": {"S": f"T#default#RQ#{t.request.request_id}"}, "SK": {"S": "REQ"}}
    old = {"answer": "from before", "trace": {}}
    ddb.update_item(
        TableName="mastra-test",
        Key=key,
        UpdateExpression="SET response_z = :z REMOVE response_z1",
        ExpressionAttributeValues={":z": {"B": zlib.compress(json.dumps(old).encode(), 9)}},
    )
    assert store.get_request("default", t.request.request_id).response == old  # type: ignore[union-attr]


def test_an_outcome_racing_a_thread_deletion_is_refused_once_the_deletion_began(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outcome's existence check is on the thread record, which goes last: the deletion marks
    it first, so an outcome attempted between that mark and the request partitions' deletion is
    refused, and one committed before the mark is deleted with its partition."""
    from tests.contract.test_feedback_contract import answered, outcome

    from mastra.feedback.dynamodb import DynamoDBFeedbackStore

    store = DynamoDBStore("mastra-test", client=ddb)
    fb = DynamoDBFeedbackStore.sharing(store)
    early, late = answered(store, thread="t1"), answered(store, thread="t1")
    assert fb.put_outcome(outcome(early, reward=0.5), None)
    attempts: list[bool] = []
    real = store._delete_keys

    def delete_keys(what: str, items: list[dict[str, Any]]) -> None:
        if not attempts:  # the thread is marked, no partition deleted yet: an outcome arrives now
            attempts.append(fb.put_outcome(outcome(late, reward=0.5), None))
        real(what, items)

    monkeypatch.setattr(store, "_delete_keys", delete_keys)
    store.delete_thread("default", "t1")
    assert attempts == [False]
    assert fb.get_outcome("default", early.request.request_id) is None
    assert fb.get_outcome("default", late.request.request_id) is None


def test_the_outcome_day_marker_is_put_before_the_first_outcome_of_the_day_once(ddb: Any) -> None:
    from tests.contract.test_feedback_contract import answered, outcome

    from mastra.feedback.dynamodb import DynamoDBFeedbackStore

    store = DynamoDBStore("mastra-test", client=ddb)
    puts: list[str] = []

    class Counting:
        def put_item(self, **kw: Any) -> Any:
            puts.append(kw["Item"]["SK"]["S"])
            return ddb.put_item(**kw)

        def __getattr__(self, name: str) -> Any:
            return getattr(ddb, name)

    fb = DynamoDBFeedbackStore("mastra-test", client=Counting())
    a, b, c = answered(store, thread="t1"), answered(store, thread="t2"), answered(store, thread="t3")
    assert fb.put_outcome(outcome(a, reward=0.5), None) and fb.put_outcome(outcome(b, reward=0.5), None)
    assert fb.put_outcome(outcome(c, reward=0.5, created_at=86400.0 + 5), None)
    assert puts == ["1970-01-01", "1970-01-02"]
    assert len(list(fb.outcomes("default", 0, 2 * 86400))) == 3
    # a fresh container writes it again (idempotent), and an outcome refused still leaves it harmless
    assert not DynamoDBFeedbackStore("mastra-test", client=Counting()).put_outcome(outcome(a, reward=0.5), None)
    assert puts[-1] == "1970-01-01" and len(list(fb.outcomes("default", 0, 2 * 86400))) == 3
