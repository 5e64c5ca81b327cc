"""Idempotency-Key on the POST endpoints, end to end through the API, on both persistence layers:
the SQLite layer (embedded default) and Powertools' DynamoDB layer (moto, the template's table)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Request, Response
from fastapi.testclient import TestClient

from mastra.api import create_app
from mastra.api.deps import PrincipalDep, RuntimeDep, principal_dep
from mastra.api.idempotency import idempotent
from mastra.errors import BudgetExceededError, StorageError
from mastra.runtime import Runtime
from mastra.security.principal import ALL_SCOPES, Principal
from mastra.settings import Settings

ASK = {"message": "how do i transfer money to my savings account", "user_id": "ana", "thread_id": "t1"}


def principal_from_header(request: Request) -> Principal:
    return Principal(
        tenant_id=request.headers.get("x-test-tenant", "default"),
        scopes=frozenset(ALL_SCOPES),
        key_id=request.headers.get("x-test-key", "key-a"),
    )


@pytest.fixture(params=["sqlite", "dynamodb"])
def rt(request: pytest.FixtureRequest, settings: Settings, agent_cache: Path) -> Iterator[Runtime]:
    from mastra.agents.agentset import AgentSet

    if request.param == "sqlite":
        runtime = Runtime(settings, sleep=lambda s: None, strict_json=True)
        runtime.__dict__["agents"] = AgentSet.load(settings.agents_dir, agent_cache)
        yield runtime
        runtime.store.close()
        return
    import boto3
    from moto import mock_aws
    from tests.awsmock import create_idempotency_table, create_table

    from mastra.storage.dynamodb import DynamoDBStore

    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, "mastra-idem")
        create_idempotency_table(client, "mastra-idem-records")
        update = {"store": "dynamodb", "table_name": "mastra-idem", "idempotency_table_name": "mastra-idem-records"}
        runtime = Runtime(
            settings.model_copy(update=update),
            store=DynamoDBStore("mastra-idem", client=client),
            sleep=lambda s: None,
            strict_json=True,
        )
        runtime.__dict__["agents"] = AgentSet.load(settings.agents_dir, agent_cache)
        yield runtime


class Counting:
    """Wraps ``runtime.chat`` to count pipeline runs (and optionally fail or block them)."""

    def __init__(self, runtime: Runtime) -> None:
        self.real = runtime.chat
        self.calls = 0
        self.fail_first: Exception | None = None
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.fail_first is not None:
            exc, self.fail_first = self.fail_first, None
            raise exc
        return self.real(*args, **kwargs)


@pytest.fixture
def runs(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Counting:
    counter = Counting(rt)
    monkeypatch.setattr(rt, "chat", counter)
    return counter


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    app = create_app(rt)
    app.dependency_overrides[principal_dep] = principal_from_header
    return TestClient(app)


def turns(rt: Runtime, thread: str = "t1") -> int:
    return len(rt.store.recent_messages("default", thread, 50)) // 2


def key(k: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": k, **headers}


# ---- the contract -----------------------------------------------------------------------------------------
def test_a_retried_chat_returns_the_first_response_and_runs_the_pipeline_once(
    client: TestClient, rt: Runtime, runs: Counting
) -> None:
    first = client.post("/v1/chat", json=ASK, headers=key("k-1"))
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    again = client.post("/v1/chat", json=ASK, headers=key("k-1"))
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content  # the same bytes: same request id, same answer
    assert runs.calls == 1 and turns(rt) == 1
    # the JSON body may be re-serialised by a client's retry (other key order, spacing): still a replay
    reordered = client.post(
        "/v1/chat",
        content=b'{ "thread_id": "t1", "user_id": "ana", "message": "' + ASK["message"].encode() + b'" }',
        headers=key("k-1", **{"content-type": "application/json"}),
    )
    assert reordered.status_code == 200 and reordered.content == first.content and runs.calls == 1
    # without a key, or with a new one, a request runs (the test can tell)
    assert client.post("/v1/chat", json=ASK).status_code == 200
    assert client.post("/v1/chat", json=ASK, headers=key("k-2")).status_code == 200
    assert runs.calls == 3 and turns(rt) == 3


def test_the_same_key_with_a_different_body_is_a_422_with_a_reason(
    client: TestClient, rt: Runtime, runs: Counting
) -> None:
    assert client.post("/v1/chat", json=ASK, headers=key("k-1")).status_code == 200
    r = client.post("/v1/chat", json={**ASK, "message": "book me a flight"}, headers=key("k-1"))
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_request" and "different request body" in r.json()["message"]
    assert runs.calls == 1 and turns(rt) == 1


def test_a_concurrent_duplicate_is_a_409_while_the_first_runs(client: TestClient, rt: Runtime, runs: Counting) -> None:
    runs.gate = threading.Event()
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(client.post("/v1/chat", json=ASK, headers=key("k-1"))))
    first.start()
    assert runs.entered.wait(10)
    dup = client.post("/v1/chat", json=ASK, headers=key("k-1"))
    assert dup.status_code == 409 and "still in progress" in dup.json()["message"]
    runs.gate.set()
    first.join(30)
    [done] = results
    assert done.status_code == 200
    replay = client.post("/v1/chat", json=ASK, headers=key("k-1"))
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.content == done.content
    assert runs.calls == 1 and turns(rt) == 1


def test_a_5xx_is_not_stored_so_a_retry_runs_again(client: TestClient, rt: Runtime, runs: Counting) -> None:
    runs.fail_first = StorageError("dynamodb: cannot write the turn: ThrottlingException")
    failed = client.post("/v1/chat", json=ASK, headers=key("k-1"))
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
    retried = client.post("/v1/chat", json=ASK, headers=key("k-1"))
    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
    assert runs.calls == 2 and turns(rt) == 1
    assert client.post("/v1/chat", json=ASK, headers=key("k-1")).headers["Idempotent-Replayed"] == "true"


def test_a_retryable_4xx_is_not_stored(client: TestClient, runs: Counting) -> None:
    runs.fail_first = BudgetExceededError("thread budget used")  # 429: may succeed later
    assert client.post("/v1/chat", json=ASK, headers=key("k-1")).status_code == 429
    assert client.post("/v1/chat", json=ASK, headers=key("k-1")).status_code == 200
    assert runs.calls == 2


def test_a_final_4xx_is_stored_and_replayed(client: TestClient, rt: Runtime) -> None:
    body = {"request_id": "01NOSUCHREQUEST0000000000", "user_id": "ana", "thumbs": "up"}
    first = client.post("/v1/feedback", json=body, headers=key("fb-1"))
    assert first.status_code == 404 and first.json()["error"] == "not_found"
    again = client.post("/v1/feedback", json=body, headers=key("fb-1"))
    assert again.status_code == 404 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content


def test_keys_are_scoped_by_tenant_and_key(client: TestClient, rt: Runtime, runs: Counting) -> None:
    assert client.post("/v1/chat", json=ASK, headers=key("k-1")).status_code == 200
    other_key = client.post("/v1/chat", json=ASK, headers=key("k-1", **{"x-test-key": "key-b"}))
    assert other_key.status_code == 200 and "idempotent-replayed" not in other_key.headers
    other_tenant = client.post("/v1/chat", json=ASK, headers=key("k-1", **{"x-test-tenant": "acme"}))
    assert other_tenant.status_code == 200 and "idempotent-replayed" not in other_tenant.headers
    assert runs.calls == 3


def test_feedback_and_prompt_posts_are_idempotent(client: TestClient, rt: Runtime) -> None:
    answer = client.post("/v1/chat", json=ASK).json()
    fb = {"request_id": answer["request_id"], "user_id": "ana", "thumbs": "up"}
    first = client.post("/v1/feedback", json=fb, headers=key("fb-1")).json()
    scored = client.get(f"/v1/feedback/{answer['request_id']}").json()
    again = client.post("/v1/feedback", json=fb, headers=key("fb-1"))
    assert again.json() == first and again.headers["Idempotent-Replayed"] == "true"
    assert first["replaced"] is False  # a second run would have replaced the first feedback
    view = client.get(f"/v1/feedback/{answer['request_id']}").json()
    assert view["outcome"]["revision"] == scored["outcome"]["revision"]  # not re-scored by the retry

    version = {"template": "Hello {{ name }}", "variables": [{"name": "name", "type": "string"}]}
    created = client.post("/v1/prompts/greeting/versions", json=version, headers=key("p-1"))
    assert created.status_code == 201, created.text
    replay = client.post("/v1/prompts/greeting/versions", json=version, headers=key("p-1"))
    assert replay.status_code == 201 and replay.content == created.content
    assert [v["version"] for v in client.get("/v1/prompts/greeting/versions").json()] == [created.json()["version"]]


def test_records_expire(client: TestClient, rt: Runtime, runs: Counting) -> None:
    assert client.post("/v1/chat", json=ASK, headers=key("k-1")).status_code == 200
    layer = rt.idempotency.layer
    [record_key] = _record_keys(rt)
    record = layer._get_record(record_key)
    assert abs(int(record.expiry_timestamp) - (time.time() + rt.settings.idempotency_ttl_s)) < 5  # 24 h by default
    record.expiry_timestamp = int(time.time()) - 1  # a day later
    layer._update_record(record)
    r = client.post("/v1/chat", json=ASK, headers=key("k-1"))
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    assert runs.calls == 2 and turns(rt) == 2


def _record_keys(rt: Runtime) -> list[str]:
    layer: Any = rt.idempotency.layer
    if rt.settings.store == "dynamodb":
        items = layer.client.scan(TableName=layer.table_name)["Items"]
        return [i["id"]["S"] for i in items]
    return [row[0] for row in layer.db.conn().execute("SELECT id FROM idempotency")]


def test_a_bad_key_is_a_422(client: TestClient, runs: Counting) -> None:
    for bad in ["x" * 256, "has space"]:
        r = client.post("/v1/chat", json=ASK, headers=key(bad))
        assert r.status_code == 422 and "Idempotency-Key" in r.json()["message"], r.text
    assert runs.calls == 0


# ---- the decorator ------------------------------------------------------------------------------------------
# A replayed response is stored for a day: a new key's secret must never be (only its hash is kept).
NOT_IDEMPOTENT = {"/v1/keys"}


def test_every_post_route_takes_an_idempotency_key(rt: Runtime) -> None:
    """New POST routes (e.g. /v1/requests) need their one ``@idempotent`` line."""
    paths = create_app(rt).openapi()["paths"]
    posts = {p: op["post"] for p, op in paths.items() if "post" in op and p not in NOT_IDEMPOTENT}
    assert posts and {"/v1/chat", "/v1/feedback"} <= set(posts)
    for path, op in posts.items():
        assert "Idempotency-Key" in [p["name"] for p in op.get("parameters", [])], path


def test_the_decorator_keeps_status_headers_and_request_params(rt: Runtime) -> None:
    router = APIRouter()
    calls: list[str] = []

    @router.post("/things/{name}", status_code=202)
    @idempotent
    def make(name: str, request: Request, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
        calls.append(name)
        return {"name": name, "tenant": principal.tenant_id, "n": len(calls), "ua": request.headers.get("x-ua")}

    app = create_app(rt)
    app.dependency_overrides[principal_dep] = principal_from_header
    app.include_router(router)
    client = TestClient(app)
    first = client.post("/things/a?x=1", json={}, headers=key("d-1", **{"x-ua": "t"}))
    assert first.status_code == 202 and first.json() == {"name": "a", "tenant": "default", "n": 1, "ua": "t"}
    assert client.post("/things/a?x=1", json={}, headers=key("d-1")).json() == first.json()
    assert client.post("/things/a?x=2", json={}, headers=key("d-1")).status_code == 422  # another query
    assert client.post("/things/b?x=1", json={}, headers=key("d-1")).json()["n"] == 2  # another path
    assert client.post("/things/a", json={}).json()["n"] == 3  # no key: runs


def test_the_decorator_refuses_parameter_names_it_needs() -> None:
    with pytest.raises(TypeError, match="idempotency_key"):

        @idempotent
        def bad(idempotency_key: str) -> None: ...


def test_sub_response_headers_are_stored_with_the_response(rt: Runtime) -> None:
    router = APIRouter()

    @router.post("/etag")
    @idempotent
    async def etag(response: Response) -> dict:
        response.headers["ETag"] = '"7"'
        return {"ok": True}

    app = create_app(rt)
    app.dependency_overrides[principal_dep] = principal_from_header
    app.include_router(router)
    client = TestClient(app)
    first = client.post("/etag", headers=key("e-1"))
    again = client.post("/etag", headers=key("e-1"))
    assert first.headers["etag"] == again.headers["etag"] == '"7"' and again.headers["Idempotent-Replayed"] == "true"


# ---- the AWS resources ---------------------------------------------------------------------------------------
def test_the_template_table_fits_powertools_dynamodb_layer_and_only_the_api_may_use_it() -> None:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from tests.awsmock import resource, template

    layer = DynamoDBPersistenceLayer(table_name="x")
    props = resource("IdempotencyTable")["Properties"]
    assert props["KeySchema"] == [{"AttributeName": layer.key_attr, "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": layer.expiry_attr, "Enabled": True}
    resources = template()["Resources"]
    users = []
    for logical, res in resources.items():
        for policy in res.get("Properties", {}).get("Policies", []) or []:
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                if statement.get("Resource") == {"!GetAtt": "IdempotencyTable.Arn"}:
                    users.append((logical, sorted(statement["Action"])))
    assert users == [
        ("ApiFunction", ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])
    ]
    api_env = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert api_env["MASTRA_RATE_PER_S"] == {"!Ref": "RateLimitPerSecond"}
    assert api_env["MASTRA_RATE_BURST"] == {"!Ref": "RateLimitBurst"}
    params = template()["Parameters"]
    settings = Settings.from_env(
        {
            "MASTRA_RATE_PER_S": params["RateLimitPerSecond"]["Default"],
            "MASTRA_RATE_BURST": str(params["RateLimitBurst"]["Default"]),
            "MASTRA_IDEMPOTENCY_TTL_S": str(params["IdempotencyTtlSeconds"]["Default"]),
        }
    )
    assert (settings.rate_per_s, settings.rate_burst, settings.idempotency_ttl_s) == (10.0, 20, 86400.0)


def test_the_api_lambda_replays_on_dynamodb_and_leases_for_the_invocation_s_remaining_time(
    rt: Runtime, runs: Counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the API function (Mangum): the lease of an in-progress claim is the Lambda's remaining time."""
    import json

    from mastra.invoke import LambdaContext, invoke_function, load_handler_module

    if rt.settings.store != "dynamodb":
        pytest.skip("the Lambda path runs on DynamoDB")
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setattr(load_handler_module(repo, "api").app.state, "runtime", rt)
    event = json.loads((repo / "events" / "api_chat.json").read_text())
    event["headers"]["idempotency-key"] = "lambda-1"
    context = LambdaContext(function_name="api", timeout_s=30.0)
    first = invoke_function(repo, "api", event, context)
    assert first["statusCode"] == 200, first["body"]
    again = invoke_function(repo, "api", event, LambdaContext(function_name="api"))
    assert again["statusCode"] == 200 and again["headers"]["idempotent-replayed"] == "true"
    assert again["body"] == first["body"] and runs.calls == 1
    layer: Any = rt.idempotency.layer
    [item] = layer.client.scan(TableName=layer.table_name)["Items"]
    lease_ends_ms = int(item["in_progress_expiration"]["N"])
    assert 0 < lease_ends_ms - time.time() * 1000 <= 30_000  # the invocation's time left, not a fixed lease
