"""The HTTP API: the same FastAPI app `mastra serve` runs and Mangum wraps for Lambda."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.apiclient import api_client

from mastra.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return api_client(runtime)


def test_chat_answers_with_request_id_and_trace(client: TestClient) -> None:
    r = client.post("/v1/chat", json={"message": "how do i transfer money to my savings account", "user_id": "alice"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agent"] == "banking" and body["answer"] and body["request_id"] and body["thread_id"]
    assert {"selection", "sentiment", "executions", "reflections", "errors"} <= set(body["trace"])
    assert body["reflection"]["verdict"] in {"accept", "retry"} and "total" in body["timings_ms"]


def test_a_thread_continues(client: TestClient, runtime: Runtime) -> None:
    first = client.post("/v1/chat", json={"message": "hi there", "user_id": "alice"}).json()
    second = client.post(
        "/v1/chat", json={"message": "what can you do", "user_id": "alice", "thread_id": first["thread_id"]}
    )
    assert second.status_code == 200 and second.json()["thread_id"] == first["thread_id"]
    assert len(runtime.store.recent_messages("default", first["thread_id"], 10)) == 4


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({}, "message: Field required"),
        ({"message": ""}, "message: String should have at least 1 character"),
        ({"message": "   "}, "message: String should have at least 1 character"),
        ({"message": "x" * 8001}, "message: String should have at most 8000 characters"),
        ({"message": 42}, "message: Input should be a valid string"),
        ({"message": "hi", "user_id": "bad user!"}, "user_id: String should match pattern"),
        ({"message": "hi", "thread_id": ""}, "thread_id: String should match pattern"),
        ({"message": "hi", "agent": "banking"}, "agent: Extra inputs are not permitted"),
        (["hi"], "Input should be a valid dictionary"),
    ],
)
def test_bad_input_is_a_422_with_the_reason_and_stores_nothing(
    client: TestClient, runtime: Runtime, body: object, reason: str
) -> None:
    r = client.post("/v1/chat", json=body)
    assert r.status_code == 422, r.text
    payload = r.json()
    assert payload["error"] == "invalid_request" and reason in payload["message"], payload
    assert runtime.store.list_threads("default", "anonymous").items == []


def test_malformed_json_and_wrong_content_are_422(client: TestClient) -> None:
    r = client.post("/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON decode error" in r.json()["message"]
    r = client.post("/v1/chat", content=b"message=hi", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422


def test_another_users_thread_is_a_409(client: TestClient) -> None:
    first = client.post("/v1/chat", json={"message": "hello", "user_id": "alice"}).json()
    r = client.post("/v1/chat", json={"message": "hello", "user_id": "mallory", "thread_id": first["thread_id"]})
    assert r.status_code == 409 and r.json()["error"] == "conflict"


def test_agents_health_and_docs(client: TestClient) -> None:
    agents = client.get("/v1/agents").json()
    assert {a["id"] for a in agents} >= {"banking", "travel", "fallback", "math", "utility"}
    assert client.get("/v1/agents/utility").json()["tools"] == [
        "calculator",
        "unit_converter",
        "clock",
        "chance",
    ]
    missing = client.get("/v1/agents/nope")
    assert missing.status_code == 404 and "unknown agent 'nope'" in missing.json()["message"]
    assert set(missing.json()) == {"error", "message", "details"} and missing.json()["error"] == "not_found"
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["agents"] == len(agents) and health["store"] == "sqlite"
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/chat", "/v1/agents", "/healthz"} <= set(spec["paths"])


def test_an_unavailable_store_is_a_503_with_retry_after(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mastra.errors import StorageError

    def down(turn: object, expires_at: object) -> bool:
        raise StorageError("disk full")

    monkeypatch.setattr(runtime.store, "_write_turn", down)
    r = client.post("/v1/chat", json={"message": "hello"})
    assert r.status_code == 503 and r.headers["retry-after"] == "1" and "disk full" in r.json()["message"]


def test_the_lambda_handler_serves_api_gateway_events(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    import mastra.runtime

    monkeypatch.setattr(mastra.runtime, "get_runtime", lambda: runtime)
    from mastra.invoke import invoke_function, load_handler_module

    # The module (and its app) may have been loaded by an earlier test, over that test's runtime.
    monkeypatch.setattr(load_handler_module(REPO, "api").app.state, "runtime", runtime)
    ok = invoke_function(REPO, "api", json.loads((REPO / "events" / "api_chat.json").read_text()))
    assert ok["statusCode"] == 200 and json.loads(ok["body"])["answer"] == "15 × 23 = 345"
    bad = invoke_function(REPO, "api", json.loads((REPO / "events" / "api_chat_invalid.json").read_text()))
    assert bad["statusCode"] == 422 and "message" in json.loads(bad["body"])["message"]


def test_the_lambda_handler_serves_after_asyncio_run_left_no_event_loop(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``asyncio.run`` on the handler's thread (a library's, e.g. an MCP client) unsets its event loop;
    Mangum, which runs each event on that loop, must still serve the next one."""
    import asyncio

    import mastra.runtime
    from mastra.invoke import invoke_function, load_handler_module

    monkeypatch.setattr(mastra.runtime, "get_runtime", lambda: runtime)
    monkeypatch.setattr(load_handler_module(REPO, "api").app.state, "runtime", runtime, raising=False)

    async def nothing() -> None:
        return None

    asyncio.run(nothing())
    ok = invoke_function(REPO, "api", json.loads((REPO / "events" / "api_chat.json").read_text()))
    assert ok["statusCode"] == 200, ok
