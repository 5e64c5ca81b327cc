"""The storage backends every contract suite runs against, and records to store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mastra.ids import new_id
from mastra.storage import Message, RequestRecord, SQLiteStore, Store, Turn

StoreFactory = Callable[[], Store]


TABLE = "mastra-contract"


@pytest.fixture(params=["sqlite", "dynamodb"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each contract suite runs once per backend; for DynamoDB, inside moto with the template's table."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    import boto3
    from moto import mock_aws
    from moto.core.botocore_stubber import BotocoreStubber
    from tests.awsmock import create_table

    # moto's in-process backend is not thread-safe, so it serves one API call at a time, as a
    # server would: concurrent writers still interleave their calls and race on conditions.
    serve = BotocoreStubber.__call__
    one_at_a_time = threading.Lock()

    def serialized(self: BotocoreStubber, *args: object, **kwargs: object) -> object:
        with one_at_a_time:
            return serve(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", serialized)
    with mock_aws():
        create_table(boto3.client("dynamodb"), TABLE)
        yield "dynamodb"


@pytest.fixture
def open_store(backend: str, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens the backend on the same underlying data each time it is called (a 'restart')."""
    opened: list[Store] = []

    def open_() -> Store:
        if backend == "dynamodb":
            import boto3

            from mastra.storage.dynamodb import DynamoDBStore

            store: Store = DynamoDBStore(TABLE, client=boto3.client("dynamodb"))
        else:
            store = SQLiteStore(tmp_path / "mastra.db")
        opened.append(store)
        return store

    yield open_
    for s in opened:
        s.close()


@pytest.fixture
def store(open_store: StoreFactory) -> Store:
    return open_store()


def turn(
    thread: str = "t1",
    user: str = "u1",
    tenant: str = "default",
    text: str = "hi",
    at: float = 1000.0,
    vectors: tuple[bytes | None, bytes | None] = (None, None),
) -> Turn:
    rid = new_id()

    def msg(role: str, content: str, suffix: str, when: float) -> Message:
        return Message(
            tenant_id=tenant,
            thread_id=thread,
            message_id=f"{rid}.{suffix}",
            role=role,
            content=content,  # type: ignore[arg-type]
            user_id=user,
            request_id=rid,
            agent_id="banking" if role == "assistant" else None,
            created_at=when,
            embedding=vectors[int(suffix)],
        )

    return Turn(
        request=RequestRecord(
            tenant_id=tenant,
            request_id=rid,
            user_id=user,
            thread_id=thread,
            created_at=at,
            response={"answer": f"re: {text}", "agent": "banking"},
        ),
        user_message=msg("user", text, "0", at),
        assistant_message=msg("assistant", f"re: {text}", "1", at + 0.001),
    )
