"""The prompt registry end to end: the pipeline records the version, the API and the CLI manage it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.apiclient import api_client

from mastra.models import ChatRequest
from mastra.prompts import LabelTarget, PromptDraft
from mastra.runtime import Runtime


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return api_client(runtime, raise_server_exceptions=False)


def test_the_example_prompts_are_seeded_once_and_every_request_records_its_version(runtime: Runtime) -> None:
    response = runtime.chat(ChatRequest(message="how do i transfer money to my savings account", user_id="u1"))
    use = response.trace.executions[0].prompt
    assert use is not None and (use.ref, use.label, use.version) == ("banking@1", "production", 1)
    ids = [p.id for p in runtime.prompts.list_prompts()]
    assert len(ids) == 12 and "banking" in ids
    # seeding again changes nothing (idempotent, never overwrites)
    from mastra.prompts.seed import seed_directory

    assert seed_directory(runtime.prompts, runtime.settings.prompts_path) == []


def test_agent_completed_event_carries_the_prompt(runtime: Runtime) -> None:
    from mastra.events.build import events_for_turn

    response = runtime.chat(ChatRequest(message="how do i transfer money to my savings account", user_id="u1"))
    context = runtime.new_request(ChatRequest(message="x", user_id="u1"))
    completed = [e for e in events_for_turn(context, response) if e.type == "agent.completed"]
    assert completed and completed[0].prompt_ref == "banking@1" and completed[0].prompt_label == "production"


def test_a_label_move_reaches_requests_and_the_version_model_settings_apply(runtime: Runtime) -> None:
    prompts = runtime.prompts
    message = ChatRequest(message="how do i transfer money to my savings account", user_id="u1")
    runtime.chat(message)  # seeds
    v2 = prompts.create(
        "banking",
        PromptDraft(template="You are {{ agent.name }}. Be terse.", model={"model_id": "tfidf-v2"}, note="terse"),
    )
    prompts.move_label("banking", "production", LabelTarget(version=v2.version), by="test")
    execution = runtime.chat(message).trace.executions[0]
    assert execution.prompt is not None and execution.prompt.ref == "banking@2"
    # rollback
    prompts.move_label("banking", "production", LabelTarget(version=1), expected=LabelTarget(version=2))
    assert runtime.chat(message).trace.executions[0].prompt.ref == "banking@1"  # type: ignore[union-attr]


def test_executor_renders_the_choice_and_applies_its_model_settings(runtime: Runtime) -> None:
    from mastra.agents.executor import AgentExecutor
    from mastra.prompts import PromptChoice
    from mastra.providers.base import ChatMessage, CompletionResponse

    seen = {}

    class Recording:
        name = "recording"
        uses_system_prompt = True

        def complete(self, request):  # type: ignore[no-untyped-def]
            seen["system"], seen["settings"] = request.system, request.settings
            return CompletionResponse(message=ChatMessage(role="assistant", content="ok"), model_id="")

    spec = runtime.agents.registry.get("banking")
    choice = PromptChoice(
        ref="banking@7",
        template="{{ agent.name }} knows {{ summary }}",
        agent={"id": spec.id, "name": spec.name, "description": spec.description},
        user_id="u1",
        model={"temperature": 0.9, "model_id": "m2"},
        prompt_id="banking",
        version=7,
    )
    run = AgentExecutor(lambda s: Recording()).run(  # type: ignore[arg-type, return-value]
        spec, message="hi", history=[], user_id="u1", request_id="r1", prompt=choice, variables={"summary": "much"}
    )
    assert seen["system"] == "Banking knows much"
    assert (seen["settings"].temperature, seen["settings"].model_id) == (0.9, "m2")
    assert run.prompt is not None and run.prompt.ref == "banking@7" and run.model_id == "m2"


# ---- API -------------------------------------------------------------------------------------------
def test_api_versions_labels_diff_render(client: TestClient) -> None:
    body = {"template": "Hi {{ name }}", "variables": [{"name": "name", "type": "string"}], "author": "ada"}
    r = client.post("/v1/prompts/greeter/versions", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1
    r = client.post("/v1/prompts/greeter/versions", json=body | {"template": "Hello {{ name }}!", "note": "warmer"})
    assert r.json()["version"] == 2
    assert client.post("/v1/prompts/greeter/versions", json=body | {"version": 1}).status_code == 409
    assert [v["version"] for v in client.get("/v1/prompts/greeter/versions").json()] == [1, 2]
    assert client.get("/v1/prompts/greeter/versions/2").json()["note"] == "warmer"
    diff = client.get("/v1/prompts/greeter/diff", params={"from": 1, "to": 2}).json()
    assert "-Hi {{ name }}" in diff["template"] and "+Hello {{ name }}!" in diff["template"]

    r = client.put("/v1/prompts/greeter/labels/production", json={"version": 1, "expect_new": True, "author": "ada"})
    assert r.status_code == 200 and r.json()["revision"] == 1
    split = {"split": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "expected": {"version": 1}}
    assert client.put("/v1/prompts/greeter/labels/production", json=split).status_code == 200
    lost = client.put("/v1/prompts/greeter/labels/production", json={"version": 2, "expected": {"version": 1}})
    assert lost.status_code == 409 and lost.json()["error"] == "conflict"
    view = client.get("/v1/prompts/greeter/labels/production").json()
    assert view["label"]["target"]["split"] and len(view["history"]) == 2

    r = client.post("/v1/prompts/greeter/render", json={"ref": "greeter@2", "variables": {"name": "Ada"}})
    assert r.status_code == 200 and r.json()["text"] == "Hello Ada!"
    r = client.post(
        "/v1/prompts/greeter/render", json={"label": "production", "variables": {"name": "A"}, "user_id": "u7"}
    )
    assert r.status_code == 200 and r.json()["prompt"]["arm"] in (0, 1)
    assert "greeter" in [p["id"] for p in client.get("/v1/prompts").json()]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/v1/prompts/greeter/versions", {"template": "Hi {{ who }}"}, 422),  # undeclared
        ("post", "/v1/prompts/greeter/versions", {"template": "{% if %}"}, 422),  # syntax
        ("post", "/v1/prompts/greeter/versions", {"template": ""}, 422),
        ("post", "/v1/prompts/greeter/versions", {"template": "x", "variables": [{"name": "n", "type": "date"}]}, 422),
        ("post", "/v1/prompts/greeter/versions", {"template": "x", "variables": [{"name": "user_id"}]}, 422),
        ("post", "/v1/prompts/greeter/versions", {"template": "x", "model": {"temperature": 9}}, 422),
        ("post", "/v1/prompts/Bad Id/versions", {"template": "x"}, 422),
        ("post", "/v1/prompts/greeter/versions", ["x"], 422),
        ("get", "/v1/prompts/greeter/versions/9", None, 404),
        ("get", "/v1/prompts/greeter/versions/0", None, 422),
        ("get", "/v1/prompts/nope/versions", None, 404),
        ("get", "/v1/prompts/greeter/diff?from=1", None, 422),
        ("get", "/v1/prompts/greeter/diff?from=1&to=7", None, 404),
        ("put", "/v1/prompts/greeter/labels/production", {}, 422),
        ("put", "/v1/prompts/greeter/labels/production", {"version": 1, "split": []}, 422),
        ("put", "/v1/prompts/greeter/labels/production", {"split": [{"version": 1, "weight": 1}]}, 422),
        ("put", "/v1/prompts/greeter/labels/production", {"version": 9}, 404),
        ("put", "/v1/prompts/greeter/labels/bad label", {"version": 1}, 422),
        ("put", "/v1/prompts/greeter/labels/production", {"version": 1, "expect_new": True}, 409),
        ("get", "/v1/prompts/greeter/labels/nope", None, 404),
        ("post", "/v1/prompts/greeter/render", {"variables": {}}, 422),  # missing variable
        ("post", "/v1/prompts/greeter/render", {"variables": {"name": 1}}, 422),  # wrong type
        ("post", "/v1/prompts/greeter/render", {"variables": {"name": "a", "x": 1}}, 422),  # undeclared
        ("post", "/v1/prompts/greeter/render", {"ref": "other@1", "variables": {}}, 422),
        ("post", "/v1/prompts/greeter/render", {"ref": "nonsense", "variables": {}}, 422),
        ("post", "/v1/prompts/greeter/render", {"version": 1, "label": "production"}, 422),
    ],
)
def test_api_bad_input_is_a_4xx_never_a_500(
    client: TestClient, method: str, path: str, body: object, status: int
) -> None:
    client.post("/v1/prompts/greeter/versions", json={"template": "Hi {{ name }}", "variables": [{"name": "name"}]})
    client.put("/v1/prompts/greeter/labels/production", json={"version": 1})
    r = client.request(method, path, json=body) if body is not None else client.request(method, path)
    assert r.status_code == status, r.text
    assert r.json()["error"]


def test_api_render_blocks_sandbox_escapes(client: TestClient) -> None:
    body = {"template": "{{ x.__class__.__mro__ }}", "variables": [{"name": "x", "type": "list"}]}
    assert client.post("/v1/prompts/evil/versions", json=body).status_code == 201
    r = client.post("/v1/prompts/evil/render", json={"variables": {"x": [1]}})
    assert r.status_code == 422 and "sandbox" in r.json()["message"]


# ---- CLI -------------------------------------------------------------------------------------------
def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from mastra.cli import main
    from mastra.runtime import get_runtime

    get_runtime.cache_clear()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_create_list_diff_label_render_seed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "t.j2"
    template.write_text("Dear {{ name }}, {{ n }} items.")
    code, out, _ = _cli(capsys, "prompts", "list")
    assert code == 0 and "banking" in out and "production -> v1" in out  # seeded on first use
    code, out, _ = _cli(
        capsys,
        "prompts",
        "create",
        "letters",
        "--file",
        str(template),
        "--var",
        "name:string",
        "--var",
        "n:integer",
        "--note",
        "first",
    )
    assert code == 0 and "created letters@1" in out
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("Hi {{ name }}."))
    assert _cli(capsys, "prompts", "create", "letters", "--var", "name:string")[1].strip() == "created letters@2"
    code, out, _ = _cli(capsys, "prompts", "diff", "letters", "1", "2")
    assert "-Dear {{ name }}" in out and "- variable n: integer" in out
    code, out, _ = _cli(capsys, "prompts", "label", "letters", "production", "--version", "1", "--expect-new")
    assert code == 0 and "letters@production -> v1" in out
    code, out, _ = _cli(capsys, "prompts", "label", "letters", "production", "--split", "1:90,2:10", "--expect", "1")
    assert code == 0 and "v1 90% / v2 10%" in out
    code, _, err = _cli(capsys, "prompts", "label", "letters", "production", "--version", "2", "--expect", "1")
    assert code == 2 and "not v1" in err
    code, out, _ = _cli(capsys, "prompts", "render", "letters@1", "--set", "name=Ada", "--set", "n=3", "--json")
    assert code == 0 and json.loads(out)["text"] == "Dear Ada, 3 items."
    code, _, err = _cli(capsys, "prompts", "render", "letters@1", "--set", "name=Ada", "--set", "n=x")
    assert code == 2 and "n must be integer" in err
    code, out, _ = _cli(capsys, "prompts", "show", "letters", "--label", "production", "--json")
    assert len(json.loads(out)["history"]) == 2
    code, out, _ = _cli(capsys, "prompts", "versions", "letters")
    assert code == 0 and len(out.strip().splitlines()) == 2
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "fresh.yaml").write_text("id: fresh\ntemplate: Hello {{ who }}\nvariables: {who: string}\n")
    code, out, _ = _cli(capsys, "prompts", "seed", str(tmp_path / "p"), "--json")
    assert json.loads(out) == {"created": ["fresh"]}
    assert json.loads(_cli(capsys, "prompts", "seed", str(tmp_path / "p"), "--json")[1]) == {"created": []}
