"""The memory API: threads and messages a page at a time, working memory (read, merge-patch,
If-Match, history), deleting a thread and erasing a user. Data comes from real chat turns."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from tests.apiclient import api_client

from mastra.runtime import Runtime
from mastra.settings import EXAMPLE_AGENTS_DIR, Settings

WRITERS = 8


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return api_client(runtime)


def agents_with_working_memory(tmp_path: Path) -> Path:
    """The example agents, with small talk keeping a name, a diet list and one counter per writer."""
    agents = tmp_path / "agents"
    shutil.copytree(EXAMPLE_AGENTS_DIR, agents)
    path = agents / "small_talk.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["memory"]["working"] = {
        "name": {"type": "string", "patterns": [r"my name is (?P<value>\w+)"]},
        "diet": {"type": "list", "description": "Dietary needs the user has mentioned."},
        **{f"n{i}": {"type": "integer"} for i in range(WRITERS)},
    }
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return agents


@pytest.fixture
def wm_client(tmp_path: Path, settings: Settings, agent_cache: Path) -> Iterator[TestClient]:
    from mastra.agents.agentset import AgentSet

    agents = agents_with_working_memory(tmp_path)
    rt = Runtime(settings.model_copy(update={"agents_dir": agents}), sleep=lambda s: None, strict_json=True)
    rt.__dict__["agents"] = AgentSet.load(agents, agent_cache)  # compiled once per session, like `runtime`
    yield api_client(rt)
    rt.store.close()


def chat(client: TestClient, message: str, user: str = "ana", thread: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "user_id": user}
    if thread:
        body["thread_id"] = thread
    r = client.post("/v1/chat", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def pages(client: TestClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a listing, following ``next_cursor``."""
    out, cursor = [], None
    while True:
        r = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        out.append(r.json())
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out


# ---- threads and messages ------------------------------------------------------------------------------
def test_threads_and_messages_come_a_page_at_a_time(client: TestClient) -> None:
    first = chat(client, "hi there")
    chat(client, "what can you do", thread=first["thread_id"])
    chat(client, "tell me a joke", thread=first["thread_id"])
    second = chat(client, "what is 15 times 23")
    third = chat(client, "how do i transfer money to my savings account")
    chat(client, "hello", user="bob")

    listed = client.get("/v1/threads", params={"user_id": "ana"}).json()
    threads = listed["items"]
    assert [t["thread_id"] for t in threads] == [third["thread_id"], second["thread_id"], first["thread_id"]]
    assert listed["next_cursor"] is None and threads[2]["message_count"] == 6
    assert {t["user_id"] for t in threads} == {"ana"} and "tenant_id" not in threads[0]
    # Thread pages with a cursor: see test_thread_pages_never_repeat_or_skip_a_thread (exact timestamps).

    messages_pages = pages(client, f"/v1/threads/{first['thread_id']}/messages", limit=4)
    assert [len(p["items"]) for p in messages_pages] == [4, 2]
    messages = [m for p in messages_pages for m in p["items"]]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert [m["content"] for m in messages[::2]] == ["hi there", "what can you do", "tell me a joke"]
    assert [m["message_id"] for m in messages] == sorted(m["message_id"] for m in messages)
    assert messages[1]["agent_id"] and not {"tenant_id", "embedding"} & set(messages[0])


def record_turn(runtime: Runtime, thread: str, at: float, user: str = "ana") -> None:
    """A turn written straight to the store at a chosen time (the pipeline stamps the clock's)."""
    from mastra.storage.models import Message, RequestRecord, Turn

    rid = f"r-{thread}-{at!r}"
    common = {"tenant_id": "default", "thread_id": thread, "user_id": user, "request_id": rid, "created_at": at}
    runtime.store.record_turn(
        Turn(
            request=RequestRecord(
                tenant_id="default", request_id=rid, user_id=user, thread_id=thread, created_at=at, response={}
            ),
            user_message=Message(message_id=f"{rid}.0", role="user", content="hi", **common),
            assistant_message=Message(message_id=f"{rid}.1", role="assistant", content="hello", **common),
        )
    )


@pytest.mark.parametrize(
    "times",
    [
        pytest.param([1_700_000_000.25 + i for i in range(5)], id="whole-microseconds"),
        pytest.param([1_700_000_000.5, 1_700_000_000.5, 1_700_000_000.5, 1_700_000_001.0, 1_700_000_001.0], id="ties"),
        # A cursor rounded to microseconds once repeated the page's last thread on SQLite.
        pytest.param([1_700_000_000.1234567 + i for i in range(5)], id="sub-microsecond"),
    ],
)
def test_thread_pages_never_repeat_or_skip_a_thread(client: TestClient, runtime: Runtime, times: list[float]) -> None:
    for i, at in enumerate(times):
        record_turn(runtime, f"t{i}", at)
    listed = pages(client, "/v1/threads", user_id="ana", limit=2)
    ids = [t["thread_id"] for p in listed for t in p["items"]]
    assert sorted(ids) == [f"t{i}" for i in range(len(times))], ids
    assert [len(p["items"]) for p in listed] == [2, 2, 1]


@pytest.mark.parametrize(
    ("url", "params", "status", "reason"),
    [
        ("/v1/threads", {}, 422, "query.user_id: Field required"),
        ("/v1/threads", {"user_id": "bad user!"}, 422, "user_id: String should match pattern"),
        ("/v1/threads", {"user_id": "x" * 129}, 422, "user_id: String should match pattern"),
        ("/v1/threads", {"user_id": "ana", "limit": 0}, 422, "limit: Input should be greater than or equal to 1"),
        ("/v1/threads", {"user_id": "ana", "limit": 201}, 422, "limit: Input should be less than or equal to 200"),
        ("/v1/threads", {"user_id": "ana", "limit": "ten"}, 422, "limit: Input should be a valid integer"),
        ("/v1/threads", {"user_id": "ana", "cursor": "not-a-cursor"}, 422, "not a thread list cursor"),
        ("/v1/threads", {"user_id": "ana", "cursor": "nan|x"}, 200, ""),
        ("/v1/threads/nope/messages", {}, 404, "no thread 'nope'"),
        ("/v1/threads/bad%20id/messages", {}, 422, "thread_id: String should match pattern"),
        ("/v1/threads/nope/messages", {"limit": -1}, 422, "limit"),
    ],
)
def test_listing_errors_are_4xx_with_the_reason(
    client: TestClient, url: str, params: dict[str, Any], status: int, reason: str
) -> None:
    chat(client, "hi there")
    r = client.get(url, params=params)
    assert r.status_code == status, r.text
    if status != 200:
        assert r.json()["error"] in {"invalid_request", "not_found"} and reason in r.json()["message"], r.json()


# ---- working memory ------------------------------------------------------------------------------------
def test_a_user_without_a_profile_is_version_0_with_the_schema(wm_client: TestClient) -> None:
    r = wm_client.get("/v1/users/nobody/working-memory")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == "nobody" and body["version"] == 0 and body["fields"] == {}
    assert r.headers["etag"] == '"0"'
    schema = body["schema"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["properties"]["name"]["type"] == "string"
    assert schema["properties"]["diet"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Dietary needs the user has mentioned.",
    }


def test_patch_merges_with_what_the_conversation_set_and_history_shows_each_change(wm_client: TestClient) -> None:
    turn = chat(wm_client, "hi, my name is Ana")
    wm = wm_client.get("/v1/users/ana/working-memory").json()
    assert wm["fields"] == {"name": "Ana"} and wm["version"] == 1

    r = wm_client.patch("/v1/users/ana/working-memory", json={"fields": {"diet": ["nuts"], "n0": 3}})
    assert r.status_code == 200, r.text
    assert r.json()["fields"] == {"name": "Ana", "diet": ["nuts"], "n0": 3} and r.json()["version"] == 2
    assert r.headers["etag"] == '"2"' and "schema" in r.json()

    r = wm_client.patch("/v1/users/ana/working-memory", json={"fields": {"name": None}}, headers={"If-Match": "2"})
    assert r.status_code == 200 and r.json()["fields"] == {"diet": ["nuts"], "n0": 3} and r.json()["version"] == 3

    same = wm_client.patch("/v1/users/ana/working-memory", json={"fields": {"n0": 3, "name": None}})
    assert same.status_code == 200 and same.json()["version"] == 3  # nothing changed: nothing written

    history = wm_client.get("/v1/users/ana/working-memory/history").json()
    assert [(c["version"], c["source"]) for c in history] == [
        (1, f"pipeline:{turn['request_id']}"),
        (2, "api"),
        (3, "api"),
    ]
    assert history[0]["set"] == {"name": "Ana"} and history[1]["set"] == {"diet": ["nuts"], "n0": 3}
    assert history[2]["removed"] == ["name"] and history[2]["set"] == {} and history[2]["at"] > 0
    assert wm_client.get("/v1/users/nobody/working-memory/history").json() == []


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', " 1 "])
def test_if_match_accepts_the_version_as_an_entity_tag(wm_client: TestClient, if_match: str) -> None:
    wm_client.patch("/v1/users/ana/working-memory", json={"fields": {"name": "Ana"}})
    r = wm_client.patch(
        "/v1/users/ana/working-memory", json={"fields": {"name": "Anna"}}, headers={"If-Match": if_match}
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2


@pytest.mark.parametrize(
    ("user", "body", "headers", "status", "reason"),
    [
        ("ana", {"fields": {"shoe_size": 42}}, {}, 422, "shoe_size: not a working-memory field"),
        ("ana", {"fields": {"name": 42}}, {}, 422, "name: expected string, got int"),
        ("ana", {"fields": {"diet": "nuts"}}, {}, 422, "diet: expected list, got str"),
        ("ana", {"fields": {"diet": [1, 2]}}, {}, 422, "diet: items must be strings"),
        ("ana", {"fields": {"n1": True}}, {}, 422, "n1: expected integer, got bool"),
        ("ana", {"fields": {"n1": 1.5}}, {}, 422, "n1: expected integer, got float"),
        ("ana", {"fields": {"name": "x" * 501}}, {}, 422, "name: at most 500 characters"),
        ("ana", {}, {}, 422, "fields: Field required"),
        ("ana", {"fields": []}, {}, 422, "fields: Input should be a valid dictionary"),
        ("ana", {"fields": {}, "version": 1}, {}, 422, "version: Extra inputs are not permitted"),
        ("bad user!", {"fields": {"name": "Bo"}}, {}, 422, "user_id: String should match pattern"),
        ("ana", {"fields": {"name": "Bo"}}, {"If-Match": "0"}, 409, "is at version 1, not 0"),
        ("ana", {"fields": {"name": "Bo"}}, {"If-Match": "7"}, 409, "is at version 1, not 7"),
        ("ana", {"fields": {"name": "Bo"}}, {"If-Match": "abc"}, 422, "If-Match: expected a working-memory version"),
        ("ana", {"fields": {"name": "Bo"}}, {"If-Match": "-1"}, 422, "If-Match"),
        ("ana", {"fields": {"name": "Bo"}}, {"If-Match": "1.0"}, 422, "If-Match"),
        ("ana", {"fields": {"name": "Bo"}}, {"If-Match": "*"}, 422, "If-Match"),
        ("ana", {"fields": {"name": "Bo"}}, {"If-Match": "\u00b2".encode("latin-1")}, 422, "If-Match"),
        ("ana", {"fields": {"name": "Bo"}}, {"If-Match": ""}, 422, "If-Match"),
    ],
)
def test_bad_patches_are_refused_with_the_reason_and_change_nothing(
    wm_client: TestClient, user: str, body: dict[str, Any], headers: dict[str, Any], status: int, reason: str
) -> None:
    wm_client.patch("/v1/users/ana/working-memory", json={"fields": {"name": "Ana"}})
    r = wm_client.patch(f"/v1/users/{user}/working-memory", json=body, headers=headers)
    assert r.status_code == status, r.text
    payload = r.json()
    assert payload["error"] == ("conflict" if status == 409 else "invalid_request")
    assert reason in payload["message"], payload
    if status == 409:
        assert payload["details"] == {"version": 1}
    wm = wm_client.get("/v1/users/ana/working-memory").json()
    assert wm["version"] == 1 and wm["fields"] == {"name": "Ana"}


def test_concurrent_patches_of_different_fields_lose_nothing(wm_client: TestClient) -> None:
    def write(i: int) -> int:
        return wm_client.patch("/v1/users/ana/working-memory", json={"fields": {f"n{i}": i}}).status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        assert list(pool.map(write, range(WRITERS))) == [200] * WRITERS
    wm = wm_client.get("/v1/users/ana/working-memory").json()
    assert wm["fields"] == {f"n{i}": i for i in range(WRITERS)} and wm["version"] == WRITERS
    history = wm_client.get("/v1/users/ana/working-memory/history").json()
    assert [c["version"] for c in history] == list(range(1, WRITERS + 1))


def test_concurrent_strict_patches_of_one_version_let_exactly_one_win(wm_client: TestClient) -> None:
    def write(i: int) -> int:
        r = wm_client.patch("/v1/users/ana/working-memory", json={"fields": {f"n{i}": i}}, headers={"If-Match": "0"})
        return r.status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = list(pool.map(write, range(WRITERS)))
    assert sorted(statuses) == [200] + [409] * (WRITERS - 1)
    assert wm_client.get("/v1/users/ana/working-memory").json()["version"] == 1


# ---- deletion ------------------------------------------------------------------------------------------
def test_deleting_a_thread_removes_it_and_its_messages_only(client: TestClient) -> None:
    gone = chat(client, "hi there")
    chat(client, "what can you do", thread=gone["thread_id"])
    kept = chat(client, "what is 15 times 23")
    url = f"/v1/threads/{gone['thread_id']}"

    other = client.delete(url, params={"user_id": "mallory"})
    assert other.status_code == 404 and other.json()["error"] == "not_found"  # not even "it exists"
    assert client.get(f"{url}/messages").status_code == 200

    r = client.delete(url, params={"user_id": "ana"})
    assert r.status_code == 200, r.text
    counts = r.json()
    assert counts["threads"] == 1 and counts["messages"] == 4 and counts["requests"] == 2
    assert set(counts) == {"threads", "messages", "requests", "events", "summaries", "working_memory", "other"}

    assert client.get(f"{url}/messages").status_code == 404
    assert client.delete(url).status_code == 404
    threads = client.get("/v1/threads", params={"user_id": "ana"}).json()["items"]
    assert [t["thread_id"] for t in threads] == [kept["thread_id"]]
    assert len(client.get(f"/v1/threads/{kept['thread_id']}/messages").json()["items"]) == 2


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/v1/threads/nope", {}, 404),
        ("/v1/threads/bad%20id", {}, 422),
        ("/v1/threads/nope", {"user_id": "bad user"}, 422),
        ("/v1/users/bad%20user", {}, 422),
    ],
)
def test_bad_deletes_are_4xx(client: TestClient, url: str, params: dict[str, Any], status: int) -> None:
    r = client.delete(url, params=params)
    assert r.status_code == status, r.text


def test_erasing_a_user_removes_everything_about_them_and_nobody_else(wm_client: TestClient) -> None:
    first = chat(wm_client, "hi, my name is Ana")
    chat(wm_client, "tell me a joke", thread=first["thread_id"])
    chat(wm_client, "what is 15 times 23")
    wm_client.patch("/v1/users/ana/working-memory", json={"fields": {"diet": ["nuts"]}})
    bob = chat(wm_client, "hi, my name is Bob", user="bob")

    r = wm_client.delete("/v1/users/ana")
    assert r.status_code == 200, r.text
    counts = r.json()
    assert counts["threads"] == 2 and counts["messages"] == 6 and counts["requests"] == 3
    assert counts["working_memory"] >= 1

    assert wm_client.get("/v1/threads", params={"user_id": "ana"}).json() == {"items": [], "next_cursor": None}
    wm = wm_client.get("/v1/users/ana/working-memory").json()
    assert wm["version"] == 0 and wm["fields"] == {}
    assert wm_client.get("/v1/users/ana/working-memory/history").json() == []
    assert wm_client.get(f"/v1/threads/{first['thread_id']}/messages").status_code == 404

    assert [t["thread_id"] for t in wm_client.get("/v1/threads", params={"user_id": "bob"}).json()["items"]] == [
        bob["thread_id"]
    ]
    assert wm_client.get("/v1/users/bob/working-memory").json()["fields"] == {"name": "Bob"}

    again = wm_client.delete("/v1/users/ana")
    assert again.status_code == 200 and set(again.json().values()) == {0}


# ---- documentation and robustness ----------------------------------------------------------------------
def test_the_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/threads",
        "/v1/threads/{thread_id}",
        "/v1/threads/{thread_id}/messages",
        "/v1/users/{user_id}",
        "/v1/users/{user_id}/working-memory",
        "/v1/users/{user_id}/working-memory/history",
    } <= set(paths)
    patch = paths["/v1/users/{user_id}/working-memory"]["patch"]
    assert patch["summary"] and {"200", "409", "422", "503"} <= set(patch["responses"])
    assert {"404", "422"} <= set(paths["/v1/threads/{thread_id}/messages"]["get"]["responses"])
    assert any(p["name"] == "if-match" for p in patch["parameters"])


def test_odd_input_is_never_a_500(wm_client: TestClient) -> None:
    chat(wm_client, "hi there")
    odd = ["%00", "%C3%A9", "..", "a" * 300, "%2F", "%F0%9F%98%80", "' OR 1=1 --"]
    for value in odd:
        for method, url in [
            ("GET", f"/v1/threads/{value}/messages"),
            ("DELETE", f"/v1/threads/{value}"),
            ("GET", f"/v1/users/{value}/working-memory"),
            ("GET", f"/v1/users/{value}/working-memory/history"),
            ("DELETE", f"/v1/users/{value}"),
        ]:
            r = wm_client.request(method, url)
            assert r.status_code < 500, (method, url, r.text)
        for params in ({"user_id": value}, {"user_id": "ana", "cursor": value}):
            r = wm_client.get("/v1/threads", params=params)
            assert r.status_code < 500, (params, r.text)
        r = wm_client.get("/v1/threads/x/messages", params={"cursor": value})
        assert r.status_code < 500, r.text
    for body in (b"{not json", b"null", b"[]", b'{"fields": null}', b'{"fields": {"name": {"a": 1}}}'):
        r = wm_client.patch("/v1/users/ana/working-memory", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, (body, r.text)


@pytest.mark.parametrize("bad", [".", "..", ".hidden"])
def test_dot_ids_are_refused(client: TestClient, bad: str) -> None:
    assert client.post("/v1/chat", json={"message": "hi", "user_id": bad}).status_code == 422
    assert client.post("/v1/chat", json={"message": "hi", "thread_id": bad}).status_code == 422
    assert client.delete(f"/v1/users/{bad.replace('.', '%2E')}").status_code in {404, 422}
