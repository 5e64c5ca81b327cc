"""Fault injection: a runtime on either backend, and a ledger of everything stored.

After each injected fault the tests compare the ledger before and after: every key stored before
is still there (nothing lost), and the only new keys are those of the requests that succeeded,
each once (nothing duplicated).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra.agents.agentset import AgentSet
from mastra.runtime import Runtime
from mastra.settings import Settings

TABLE = "mastra-faults"


@pytest.fixture(params=["sqlite", "dynamodb"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The store's backend; AWS (moto, in-process) is there for both, for the queues."""
    import boto3
    from moto import mock_aws
    from moto.core.botocore_stubber import BotocoreStubber
    from tests.awsmock import create_table

    from mastra import aws

    serve = BotocoreStubber.__call__
    one_at_a_time = threading.Lock()  # moto's in-process backend is not thread-safe

    def serialized(self: BotocoreStubber, *args: object, **kwargs: object) -> object:
        with one_at_a_time:
            return serve(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", serialized)
    with mock_aws():
        aws.reset()
        if request.param == "dynamodb":
            create_table(boto3.client("dynamodb"), TABLE)
        yield request.param
        aws.reset()


@pytest.fixture
def make_runtime(backend: str, tmp_path: Path, agent_cache: Path) -> Iterator[Callable[..., Runtime]]:
    """Runtimes on the backend (one data dir or table), no retry sleeps; ``overrides`` are settings."""
    made: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        values: dict[str, Any] = {"home": tmp_path / "home", "bandit_epsilon": 0, "bandit_ttl_s": 0}
        if backend == "dynamodb":
            values.update(store="dynamodb", table_name=TABLE)
        settings = Settings.from_env(environ={}, **{**values, **overrides})
        rt = Runtime(settings, sleep=lambda s: None, strict_json=True)
        rt.__dict__["agents"] = AgentSet.load(settings.agents_dir, agent_cache)
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.store.close()


def api_client(rt: Runtime) -> Any:
    """A TestClient over the API, with an admin key of the tenant once the API has keys."""
    from fastapi.testclient import TestClient

    from mastra.api import create_app

    headers = {}
    if getattr(type(rt), "keys", None) is not None:
        key = rt.keys.create(rt.settings.tenant_id, "faults", ["admin"])  # type: ignore[attr-defined]
        headers["Authorization"] = f"Bearer {key.key}"
    return TestClient(create_app(rt), headers=headers)


def ledger(rt: Runtime) -> Counter[tuple[Any, ...]]:
    """Every stored record's key (table and primary key), counted: a count above 1 is a duplicate."""
    store: Any = rt.store
    keys: Counter[tuple[Any, ...]] = Counter()
    if store.backend == "dynamodb":
        client = store.client
        pages = client.get_paginator("scan").paginate(TableName=store.table)
        for page in pages:
            for item in page["Items"]:
                keys[("item", item["PK"]["S"], item["SK"]["S"])] += 1
        return keys
    conn: sqlite3.Connection = store.db.conn()
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = [r[1] for r in sorted(conn.execute(f"PRAGMA table_info({table})"), key=lambda r: r[5]) if r[5]]
        columns = columns or [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table}"):
            keys[(table, *row)] += 1
    return keys


def nothing_lost(before: Counter[tuple[Any, ...]], after: Counter[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The keys stored before that are gone (must be empty) — the whole ledger stays, each key once."""
    assert all(n == 1 for n in after.values()), [k for k, n in after.items() if n > 1]
    return [k for k in before if k not in after]


def added(before: Counter[tuple[Any, ...]], after: Counter[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted((k for k in after if k not in before), key=json.dumps)


def turn_keys(rt: Runtime, keys: list[tuple[Any, ...]], request_id: str) -> list[tuple[Any, ...]]:
    """The keys among ``keys`` that belong to one request (its record, messages, events, outcome)."""
    return [k for k in keys if any(request_id in str(part) for part in k)]
