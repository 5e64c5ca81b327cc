"""Personal data in a request never reaches the store, the events, the logs, the pipeline's input or
a provider, unless the tenant's policy allows it; the policy is managed through /v1/privacy."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mastra.api.deps import principal_dep
from mastra.models import ChatRequest
from mastra.privacy import PrivacyPolicy
from mastra.providers import CompletionRequest, CompletionResponse, ModelProvider
from mastra.runtime import Runtime
from mastra.security.principal import Principal

EMAIL, CARD = "ana.silva@example.org", "4111 1111 1111 1111"
MESSAGE = f"my email is {EMAIL} and my card is {CARD}; how do I transfer money to my savings account?"
RAW = (EMAIL, CARD, CARD.replace(" ", ""), "ana.silva")


class Recording(ModelProvider):
    """Wraps an agent's real provider and keeps every request it is sent (what would go over the wire)."""

    name = "recording"

    def __init__(self, real: ModelProvider, seen: list[str]) -> None:
        self.real, self.seen = real, seen

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        self.seen.append(request.model_dump_json())
        logging.getLogger("mastra.providers.test").info("provider got %s", request.messages[-1].content)
        return self.real.complete(request)


def record_providers(rt: Runtime) -> list[str]:
    seen: list[str] = []
    real = rt.providers
    rt.__dict__["providers"] = lambda spec: Recording(real(spec), seen)
    return seen


def database_text(path: Path) -> str:
    """Every text value of every table of the SQLite file."""
    out = []
    with sqlite3.connect(path) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in db.execute(f'SELECT * FROM "{table}"'):
                out += [v for v in row if isinstance(v, str)]
    return "\n".join(out)


def test_a_message_with_an_email_and_a_card_is_redacted_everywhere(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    seen = record_providers(runtime)
    with caplog.at_level(logging.DEBUG):
        r = runtime.chat(ChatRequest(message=MESSAGE, user_id="ana"))
        logging.getLogger("mastra.anywhere").warning("a careless log line: %s", MESSAGE)  # the safety net
    stored = database_text(runtime.settings.db_path)
    events = json.dumps([e.body for e in runtime.store.list_events("default", r.request_id)])
    for where, text in {
        "store": stored,
        "events": events,
        "logs": caplog.text,
        "provider": "\n".join(seen),
        "answer": r.model_dump_json(),
    }.items():
        for value in RAW:
            assert value not in text, f"{value!r} reached the {where}"
    assert seen and all("[EMAIL]" in s and "[CREDIT_CARD]" in s for s in seen)
    assert "my email is [EMAIL] and my card is [CREDIT_CARD]" in stored
    assert "[EMAIL]" in caplog.text and events != "[]"


def test_the_pipeline_input_carries_the_redacted_message(runtime: Runtime) -> None:
    """What Step Functions would be started with (``MASTRA_PIPELINE=stepfunctions``)."""
    from mastra.workflow import ExecutionFailed

    started: list[dict[str, Any]] = []

    class Recorder:
        def run(self, data: dict[str, Any]) -> Any:
            started.append(data)
            raise ExecutionFailed("States.TaskFailed", "stop here")

    runtime.__dict__["pipeline"] = Recorder()
    with pytest.raises(Exception):  # noqa: B017 - the recorder stops the run; its input is the point
        runtime.chat(ChatRequest(message=MESSAGE, user_id="ana"))
    assert started[0]["request"]["message"].startswith("my email is [EMAIL] and my card is [CREDIT_CARD]")


def test_a_tenant_policy_masks_or_allows_instead(runtime: Runtime) -> None:
    runtime.privacy.set_policy(PrivacyPolicy(tenant_id="default", modes={"EMAIL": "mask", "CREDIT_CARD": "allow"}))
    seen = record_providers(runtime)
    runtime.chat(ChatRequest(message=MESSAGE, user_id="ana"))
    stored = database_text(runtime.settings.db_path)
    assert "a***@example.org" in stored and EMAIL not in stored and CARD in stored
    assert all("a***@example.org" in s for s in seen)


def test_an_answer_is_redacted_before_it_is_stored_and_returned(runtime: Runtime) -> None:
    class Oversharing(ModelProvider):
        name = "oversharing"

        def complete(self, request: CompletionRequest) -> CompletionResponse:
            from mastra.providers import ChatMessage

            return CompletionResponse(
                message=ChatMessage(role="assistant", content="Your adviser is at bob.jones@bank.example.com."),
                stop_reason="end_turn",
            )

    runtime.__dict__["providers"] = lambda spec: Oversharing()
    r = runtime.chat(ChatRequest(message="who is my adviser", user_id="ana"))
    assert "bob.jones" not in r.answer
    assert "bob.jones" not in database_text(runtime.settings.db_path)


# ---- memory edits, working memory, feedback comments -----------------------------------------------------
def test_edits_and_comments_are_redacted_before_storage(client: TestClient, runtime: Runtime) -> None:
    r = client.post("/v1/chat", json={"message": "how do I reset my card pin", "user_id": "ana"}).json()
    message_id = f"{r['request_id']}.0"
    edited = client.patch(
        f"/v1/threads/{r['thread_id']}/messages/{message_id}", json={"content": "call me on +44 20 7946 0958"}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == "call me on [PHONE]"
    fb = client.post(
        "/v1/feedback",
        json={"request_id": r["request_id"], "user_id": "ana", "thumbs": "down", "comment": f"mail me at {EMAIL}"},
    )
    assert fb.status_code == 200, fb.text
    stored = database_text(runtime.settings.db_path)
    assert "7946" not in stored and EMAIL not in stored and "mail me at [EMAIL]" in stored


def test_working_memory_patches_are_redacted(runtime: Runtime) -> None:
    from mastra.memory.service import MemoryService

    calls: list[Any] = []

    class Store:
        def update_working_memory(self, tenant: str, user: str, change: Any, **kw: Any) -> Any:
            calls.append(change(None))

    class Schema:
        def validate_patch(self, patch: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
            return patch, []

    memory = MemoryService(
        Store(),  # type: ignore[arg-type]
        lambda: Schema(),  # type: ignore[arg-type,return-value]
        lambda: None,  # type: ignore[arg-type,return-value]
        redact=runtime.privacy.inbound,
    )
    memory.patch_working_memory("default", "ana", {"contact": f"email {EMAIL}", "cards": [CARD], "n": 3})
    assert calls == [({"contact": "email [EMAIL]", "cards": ["[CREDIT_CARD]"], "n": 3}, [])]


# ---- /v1/privacy ---------------------------------------------------------------------------------------
def test_the_policy_is_read_and_replaced_by_an_admin(client: TestClient) -> None:
    r = client.get("/v1/privacy")
    assert r.status_code == 200 and r.json()["modes"]["EMAIL"] == "redact" and r.json()["default"] == "redact"
    r = client.put("/v1/privacy", json={"default": "mask", "modes": {"PHONE": "allow"}})
    assert r.status_code == 200, r.text
    body = client.get("/v1/privacy").json()
    assert body["modes"]["PHONE"] == "allow" and body["modes"]["EMAIL"] == "mask" and body["updated_by"]
    for bad in ({"modes": {"SHOE_SIZE": "redact"}}, {"modes": {"EMAIL": "encrypt"}}, {"mode": "allow"}):
        r = client.put("/v1/privacy", json=bad)
        assert r.status_code == 422 and r.json()["message"], bad


def test_the_policy_needs_the_admin_scope_and_is_the_callers_tenants(client: TestClient, runtime: Runtime) -> None:
    app: Any = client.app
    app.dependency_overrides[principal_dep] = lambda: Principal(tenant_id="acme", scopes=frozenset({"chat"}))
    r = client.put("/v1/privacy", json={"default": "allow"})
    assert r.status_code == 403 and r.json()["error"]
    app.dependency_overrides[principal_dep] = lambda: Principal(tenant_id="acme", scopes=frozenset({"admin"}))
    assert client.put("/v1/privacy", json={"default": "allow"}).status_code == 200
    assert runtime.privacy.policy("acme").default == "allow"
    assert runtime.privacy.policy("default").default == "redact"  # another tenant's is untouched
