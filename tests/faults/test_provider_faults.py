"""A model provider that throttles or hangs, over real HTTP: the banking agent's model is an
OpenAI-compatible endpoint on loopback (the real ``openai`` SDK calls it), scripted to answer 429
or to stall. The pipeline retries and then falls back; the answer and the stored request record
say what happened, and the turn is stored once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.faults.conftest import api_client, ledger, nothing_lost
from tests.loopback import JsonServer, Scripted, json_server

from mastra.models import StepFailure
from mastra.runtime import Runtime
from mastra.spec.registry import AgentRegistry

MESSAGE = "how do i transfer money to my savings account"
ANSWER = "Open Transfers, choose checking to savings, enter the amount and confirm."


THROTTLED = {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}
# retry-after-ms: the SDK's own backoff honours it, so the test does not sleep.
FAST_RETRY = {"retry-after-ms": "1"}


def completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "bank-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32},
    }


@pytest.fixture
def endpoint() -> Iterator[JsonServer]:
    """An OpenAI-compatible endpoint: each call takes the next scripted reply; then it answers."""
    with json_server("/v1") as server:
        server.default = Scripted(200, completion(ANSWER))
        yield server


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # the provider's faults do not depend on the store


@pytest.fixture
def api(make_runtime: Callable[..., Runtime], endpoint: JsonServer) -> tuple[Runtime, TestClient]:
    """The banking agent answers from the endpoint (timeout 1 s); every other agent as shipped."""
    rt = make_runtime(answer_cache_ttl_s=0)  # each request reaches the model
    agents = rt.agents
    specs = []
    for spec in agents.registry:
        if spec.id == "banking":
            update = {"provider": "openai", "model_id": "bank-model", "base_url": endpoint.url}
            model = spec.model.model_copy(update=update)
            spec = spec.model_copy(update={"model": model, "timeout_s": 1.0})
        specs.append(spec)
    rt.__dict__["agents"] = replace(agents, registry=AgentRegistry(specs))
    return rt, api_client(rt)


def stored(rt: Runtime, response: dict[str, Any]) -> dict[str, Any]:
    record = rt.store.get_request("default", response["request_id"])
    assert record is not None
    return record.response


def failures(response: dict[str, Any]) -> list[StepFailure]:
    return [StepFailure.model_validate(e) for e in response["trace"]["errors"]]


def test_throttled_once_is_retried_and_answers(api: tuple[Runtime, TestClient], endpoint: JsonServer) -> None:
    rt, client = api
    endpoint.reply(THROTTLED, status=429, headers=FAST_RETRY)
    r = client.post("/v1/chat", json={"message": MESSAGE, "user_id": "ana"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agent"] == "banking" and body["answer"] == ANSWER and body["trace"]["errors"] == []
    assert len(endpoint.bodies) == 2  # the 429, then the answer
    assert stored(rt, body)["answer"] == ANSWER


def test_throttled_for_good_falls_back_and_the_record_says_so(
    api: tuple[Runtime, TestClient], endpoint: JsonServer
) -> None:
    rt, client = api
    first = client.post("/v1/chat", json={"message": "hello there", "user_id": "ana"}).json()
    before = ledger(rt)
    for _ in range(100):
        endpoint.reply(THROTTLED, status=429, headers=FAST_RETRY)
    r = client.post("/v1/chat", json={"message": MESSAGE, "user_id": "ana", "thread_id": first["thread_id"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answer"] != ANSWER and body["agent"] != "banking"
    errors = body["trace"]["errors"]
    assert [e["Error"] for e in errors] == ["ProviderThrottledError"] and "429" in errors[0]["Cause"]
    recovered = body["trace"]["executions"][0]
    assert recovered["replaces_agent_id"] == "banking"
    assert recovered["recovered_from"]["Error"] == "ProviderThrottledError"
    assert len(endpoint.bodies) >= 3  # the SDK's retries and the pipeline's, then the fallback
    record = stored(rt, body)
    assert failures(record) == failures(body) and record["answer"] == body["answer"]
    after = ledger(rt)
    assert nothing_lost(before, after) == []
    messages = rt.store.list_messages("default", first["thread_id"], limit=10).items
    assert [m.request_id for m in messages].count(body["request_id"]) == 2 and len(messages) == 4
    failed = [e for e in rt.store.list_events("default", body["request_id"]) if e.type == "agent.completed"]
    assert failed, "the attempt is in the events"


def test_a_provider_that_hangs_times_out_and_falls_back(api: tuple[Runtime, TestClient], endpoint: JsonServer) -> None:
    import time

    rt, client = api
    for _ in range(10):
        endpoint.reply(completion(ANSWER), delay_s=30)
    started = time.perf_counter()
    r = client.post("/v1/chat", json={"message": MESSAGE, "user_id": "ana"})
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["Error"] for e in body["trace"]["errors"]] == ["StepTimeoutError"]
    assert body["trace"]["executions"][0]["replaces_agent_id"] == "banking"
    assert elapsed < 10, f"the agent's 1 s budget bounds the wait ({elapsed:.1f} s)"
    assert failures(stored(rt, body)) == failures(body)
