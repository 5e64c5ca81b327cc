"""Tenant isolation through every endpoint: tenant A stores threads, messages, feedback, a
profile, prompt versions and labels and keys; tenant B, with an admin key of its own, tries to
read, write and delete each of them through EVERY route the app serves (enumerated from the app:
a new route without a case here fails the test), and gets nothing: 404/403, or an empty view of
its own tenant, and A's data is unchanged afterwards."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from tests.apiclient import api_client, protected_routes

from mastra.api import create_app
from mastra.runtime import Runtime

SECRET = "Zanzibar-7731"  # a word only tenant A's data holds


@dataclass
class World:
    a: TestClient
    b: TestClient
    thread: str
    message: str
    request: str
    key_id: str
    b_chats: list[str] = field(default_factory=list)
    queued: str = ""  # an async request of A's (POST /v1/requests)


def answered(client: TestClient, request_id: str) -> None:
    deadline = time.monotonic() + 30
    while client.get(f"/v1/requests/{request_id}").json()["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, "the queued request was never answered"
        time.sleep(0.05)


@pytest.fixture
def world(runtime: Runtime) -> World:
    a = api_client(runtime)  # the deployment's own tenant: it also owns the prompt registry
    b = api_client(runtime, tenant="beta")
    r = a.post("/v1/chat", json={"message": f"my name is {SECRET}, how do I transfer money?", "user_id": "ana"})
    assert r.status_code == 200, r.text
    chat = r.json()
    r = a.post("/v1/chat", json={"message": "and a wire transfer?", "user_id": "ana", "thread_id": chat["thread_id"]})
    assert r.status_code == 200
    fb = a.post("/v1/feedback", json={"request_id": chat["request_id"], "user_id": "ana", "thumbs": "up"})
    assert fb.status_code == 200, fb.text
    wm = a.patch("/v1/users/ana/working-memory", json={"fields": {"name": SECRET, "home_city": "Lyon"}})
    assert wm.status_code == 200, wm.text
    pv = a.post("/v1/prompts/banking/versions", json={"template": f"You are {{{{ agent.name }}}} {SECRET}"})
    assert pv.status_code == 201, pv.text
    label = a.put("/v1/prompts/banking/labels/tenant-a", json={"version": pv.json()["version"], "expect_new": True})
    assert label.status_code == 200, label.text
    policy = a.put("/v1/privacy", json={"default": "redact", "modes": {"EMAIL": "mask"}})
    assert policy.status_code == 200, policy.text
    key = a.post("/v1/keys", json={"name": "svc", "scopes": ["chat"]})
    assert key.status_code == 201
    messages = a.get(f"/v1/threads/{chat['thread_id']}/messages").json()["items"]
    queued = a.post("/v1/requests", json={"message": f"later: my name is {SECRET}", "user_id": "ana"})
    assert queued.status_code == 202, queued.text
    answered(a, queued.json()["request_id"])  # by the background worker: A's data is then at rest
    return World(
        a,
        b,
        chat["thread_id"],
        messages[0]["message_id"],
        chat["request_id"],
        key.json()["key_id"],
        queued=queued.json()["request_id"],
    )


def snapshot(w: World) -> dict[str, Any]:
    """Everything tenant A can see of its own data."""
    a = w.a
    views = {
        "threads": a.get("/v1/threads", params={"user_id": "ana"}).json(),
        "messages": a.get(f"/v1/threads/{w.thread}/messages").json(),
        "profile": a.get("/v1/users/ana/working-memory").json(),
        "history": a.get("/v1/users/ana/working-memory/history").json(),
        "feedback": a.get(f"/v1/feedback/{w.request}").json(),
        "keys": a.get("/v1/keys").json(),
        "prompts": a.get("/v1/prompts").json(),
        "versions": a.get("/v1/prompts/banking/versions").json(),
        "label": a.get("/v1/prompts/banking/labels/tenant-a").json(),
        "stats": a.get("/v1/stats", params={"by": "agent"}).json()["groups"],
        "audit": a.get("/v1/audit").json(),
        "queued": a.get(f"/v1/requests/{w.queued}").json(),
        "privacy": a.get("/v1/privacy").json(),
    }
    assert SECRET in str(views["messages"]) and views["threads"]["items"] and views["feedback"]["feedback"]
    return views


def no_secret(r: Response) -> None:
    assert SECRET not in r.text and "Lyon" not in r.text, r.text


def refused(*statuses: int) -> Callable[[Response, World], None]:
    def check(r: Response, w: World) -> None:
        assert r.status_code in statuses, (r.status_code, r.text)
        no_secret(r)

    return check


def empty_page(r: Response, w: World) -> None:
    assert r.status_code == 200 and r.json()["items"] == [], r.text


def blank_profile(r: Response, w: World) -> None:
    assert r.status_code == 200 and r.json()["version"] == 0 and r.json()["fields"] == {}, r.text


def own_profile(r: Response, w: World) -> None:  # B wrote a profile of its own user "ana", not A's
    assert r.status_code == 200 and r.json()["version"] == 1 and r.json()["fields"] == {"home_city": "Oslo"}, r.text


def no_changes(r: Response, w: World) -> None:
    assert r.status_code == 200 and r.json() == [], r.text


def own_erasure(r: Response, w: World) -> None:
    # B's own "ana" (its chat, its profile) goes; A's "ana" stays (the snapshot after proves it).
    assert r.status_code == 200 and r.json()["threads"] == len(w.b_chats), r.text
    assert r.json()["messages"] == 2 * len(w.b_chats), r.text
    assert w.b.get("/v1/threads", params={"user_id": "ana"}).json()["items"] == []


def shared_agents(r: Response, w: World) -> None:
    # The agents are the deployment's (no tenant data): B sees what A sees.
    path = r.request.url.path
    assert r.status_code == 200 and r.json() == w.a.get(path).json()
    no_secret(r)


def own_stats(r: Response, w: World) -> None:
    assert r.status_code == 200
    assert sum(g["requests"] for g in r.json()["groups"]) == len(w.b_chats)  # B's own requests only
    no_secret(r)


def own_keys(r: Response, w: World) -> None:
    assert r.status_code == 200 and w.key_id not in r.text
    assert all(k["tenant_id"] == "beta" for k in r.json())


def new_own_key(r: Response, w: World) -> None:
    assert r.status_code == 201 and r.json()["tenant_id"] == "beta"


def own_audit(r: Response, w: World) -> None:
    assert r.status_code == 200 and all(e["tenant_id"] == "beta" for e in r.json())
    assert w.key_id not in r.text and w.thread not in r.text


def own_chat(r: Response, w: World) -> None:
    # Naming A's thread and user does not reach them: the request runs in B's tenant, where A's
    # thread id names nothing of A's, and recall finds none of A's messages or profile.
    assert r.status_code == 200, r.text
    w.b_chats.append(r.json()["request_id"])
    no_secret(r)


def default_policy(r: Response, w: World) -> None:  # A's policy masks emails; B has never set one
    assert r.status_code == 200 and r.json()["tenant_id"] == "beta" and r.json()["modes"]["EMAIL"] == "redact", r.text


def own_policy(r: Response, w: World) -> None:
    assert r.status_code == 200 and r.json()["tenant_id"] == "beta" and r.json()["default"] == "allow", r.text
    assert w.a.get("/v1/privacy").json()["modes"]["EMAIL"] == "mask"


def own_queued(r: Response, w: World) -> None:
    assert r.status_code == 202 and r.json()["request_id"] != w.queued, r.text
    assert w.a.get(f"/v1/requests/{r.json()['request_id']}").status_code == 404  # B's, invisible to A
    answered(w.b, r.json()["request_id"])
    w.b_chats.append(r.json()["request_id"])  # B's own: its thread goes with B's erasure below
    no_secret(r)


# (method, path) -> (request kwargs, check). Reads first, then writes: B's own writes show up in
# B's later reads (its stats, its keys), never in A's.
def cases(w: World) -> dict[tuple[str, str], tuple[dict[str, Any], Callable[[Response, World], None]]]:
    t, m, rq, k = w.thread, w.message, w.request, w.key_id
    forbidden = refused(403)
    return {
        ("GET", "/v1/agents"): ({}, shared_agents),
        ("GET", "/v1/agents/{agent_id}"): ({"url": "/v1/agents/banking"}, shared_agents),
        ("GET", "/v1/threads"): ({"params": {"user_id": "ana"}}, empty_page),
        ("GET", "/v1/threads/{thread_id}/messages"): ({"url": f"/v1/threads/{t}/messages"}, refused(404)),
        ("GET", "/v1/users/{user_id}/working-memory"): ({"url": "/v1/users/ana/working-memory"}, blank_profile),
        ("GET", "/v1/users/{user_id}/working-memory/history"): (
            {"url": "/v1/users/ana/working-memory/history"},
            no_changes,
        ),
        ("GET", "/v1/feedback/{request_id}"): ({"url": f"/v1/feedback/{rq}"}, refused(404)),
        ("GET", "/v1/stats"): ({}, own_stats),
        ("GET", "/v1/keys"): ({}, own_keys),
        ("GET", "/v1/audit"): ({}, own_audit),
        ("GET", "/v1/prompts"): ({}, forbidden),
        ("GET", "/v1/prompts/{prompt_id}/versions"): ({"url": "/v1/prompts/banking/versions"}, forbidden),
        ("GET", "/v1/prompts/{prompt_id}/versions/{version}"): ({"url": "/v1/prompts/banking/versions/2"}, forbidden),
        ("GET", "/v1/prompts/{prompt_id}/diff"): (
            {"url": "/v1/prompts/banking/diff", "params": {"from": 1, "to": 2}},
            forbidden,
        ),
        ("GET", "/v1/prompts/{prompt_id}/labels/{label}"): ({"url": "/v1/prompts/banking/labels/tenant-a"}, forbidden),
        ("POST", "/v1/prompts/{prompt_id}/render"): (
            {"url": "/v1/prompts/banking/render", "json": {"label": "tenant-a"}},
            forbidden,
        ),
        ("POST", "/v1/prompts/{prompt_id}/versions"): (
            {"url": "/v1/prompts/banking/versions", "json": {"template": "hijacked"}},
            forbidden,
        ),
        ("PUT", "/v1/prompts/{prompt_id}/labels/{label}"): (
            {"url": "/v1/prompts/banking/labels/tenant-a", "json": {"version": 1}},
            forbidden,
        ),
        ("PATCH", "/v1/threads/{thread_id}/messages/{message_id}"): (
            {"url": f"/v1/threads/{t}/messages/{m}", "json": {"content": "overwritten"}},
            refused(404),
        ),
        ("POST", "/v1/feedback"): (
            {"json": {"request_id": rq, "user_id": "ana", "thumbs": "down", "comment": "bad"}},
            refused(404),
        ),
        ("PATCH", "/v1/users/{user_id}/working-memory"): (
            {"url": "/v1/users/ana/working-memory", "json": {"fields": {"home_city": "Oslo"}}},
            own_profile,
        ),
        ("DELETE", "/v1/threads/{thread_id}"): ({"url": f"/v1/threads/{t}"}, refused(404)),
        ("DELETE", "/v1/keys/{key_id}"): ({"url": f"/v1/keys/{k}"}, refused(404)),
        ("POST", "/v1/keys"): ({"json": {"name": "mine", "scopes": ["chat"]}}, new_own_key),
        ("POST", "/v1/chat"): (
            {"json": {"message": "what is my name? what did I ask before?", "user_id": "ana", "thread_id": t}},
            own_chat,
        ),
        ("GET", "/v1/requests/{request_id}"): ({"url": f"/v1/requests/{w.queued}"}, refused(404)),
        ("POST", "/v1/requests"): ({"json": {"message": "how do I transfer money?", "user_id": "ana"}}, own_queued),
        ("GET", "/v1/privacy"): ({}, default_policy),
        ("PUT", "/v1/privacy"): ({"json": {"default": "allow"}}, own_policy),
        ("DELETE", "/v1/users/{user_id}"): ({"url": "/v1/users/ana"}, own_erasure),
    }


def test_another_tenant_gets_nothing_through_any_endpoint(runtime: Runtime, world: World) -> None:
    before = snapshot(world)
    table = cases(world)
    routes = protected_routes(create_app(runtime))
    missing = sorted(set(routes) - set(table))
    assert not missing, f"routes without a tenant-isolation case: {missing}"
    assert not set(table) - set(routes), "cases for routes the app no longer serves"
    for (method, path), (kwargs, check) in table.items():
        kwargs = dict(kwargs)
        url = kwargs.pop("url", path)
        response = world.b.request(method, url, **kwargs)
        try:
            check(response, world)
        except AssertionError as exc:
            raise AssertionError(f"{method} {path}: {exc}") from None
    after = snapshot(world)
    assert after == before
    # And directly in the store: A's records are where they were, B's under B.
    store = runtime.store
    assert store.get_thread("default", world.thread) is not None
    assert store.get_request("default", world.request) is not None
    assert [r for r in world.b_chats if store.get_request("default", r) is not None] == []
    assert runtime.keys.authenticate  # A's service key is still live:
    assert runtime.keys.get("default", world.key_id).revoked_at is None
