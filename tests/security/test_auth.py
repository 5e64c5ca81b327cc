"""Authentication and scopes over HTTP: API keys (Bearer or X-Api-Key), API Gateway JWT claims
(through Mangum, as on AWS), public routes, revocation, expiry, /v1/keys and the audit trail."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.apiclient import api_client, protected_routes

from mastra.api import create_app
from mastra.runtime import Runtime

PUBLIC = ["/healthz", "/docs", "/openapi.json", "/redoc", "/ui", "/ui/app.js", "/ui/app.css"]

#: The scope each route needs; a route missing here fails test_every_route_needs_its_scope.
SCOPE_OF_PREFIX = {
    "/v1/chat": "chat",
    "/v1/requests": "chat",
    "/v1/agents": "chat",
    "/v1/feedback": "feedback",
    "/v1/threads": "memory",
    "/v1/users": "memory",
    "/v1/prompts": "prompts",
    "/v1/stats": "stats",
    "/v1/keys": "admin",
    "/v1/audit": "admin",
    "/v1/privacy": "admin",
}
ADMIN_ONLY = {("PUT", "/v1/prompts/{prompt_id}/labels/{label}")}  # a release reaches every request


def scope_of(method: str, path: str) -> str:
    if (method, path) in ADMIN_ONLY:
        return "admin"
    scopes = [scope for prefix, scope in SCOPE_OF_PREFIX.items() if path.startswith(prefix)]
    assert scopes, f"{method} {path}: a new route: add its scope to SCOPE_OF_PREFIX (or make it public on purpose)"
    return scopes[0]


def concrete(path: str) -> str:
    return (
        path.replace("{prompt_id}", "banking")
        .replace("{label}", "production")
        .replace("{version}", "1")
        .replace("{key_id}", "0123456789abcdef")
        .replace("{agent_id}", "banking")
        .replace("{request_id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
        .replace("{thread_id}", "t1")
        .replace("{message_id}", "m1")
        .replace("{user_id}", "ana")
    )


@pytest.fixture
def anonymous(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime))


def test_public_routes_need_no_credential(anonymous: TestClient) -> None:
    for path in PUBLIC:
        assert anonymous.get(path).status_code == 200, path


def test_every_other_route_is_a_401_without_a_credential(runtime: Runtime, anonymous: TestClient) -> None:
    routes = protected_routes(create_app(runtime))
    assert len(routes) >= 25
    for method, path in routes:
        r = anonymous.request(method, concrete(path), json={})
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.json()["error"] == "unauthorized" and r.headers["www-authenticate"].startswith("Bearer")


def test_every_route_needs_its_scope(runtime: Runtime) -> None:
    """A key with every scope but the one a route needs gets a 403 naming it, on every route."""
    app_routes = protected_routes(create_app(runtime))
    assert len(app_routes) >= 25
    clients = {
        scope: api_client(runtime, scopes=[s for s in ("chat", "feedback", "memory", "prompts", "stats") if s != scope])
        for scope in ("chat", "feedback", "memory", "prompts", "stats", "admin")
    }
    for method, path in app_routes:
        scope = scope_of(method, path)
        r = clients[scope].request(method, concrete(path), json={})
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.json()["details"]["scope"] == scope


def test_bearer_and_x_api_key_both_work_and_bad_keys_are_401(runtime: Runtime, anonymous: TestClient) -> None:
    key = runtime.keys.create("default", "t", ["chat"]).key
    assert anonymous.get("/v1/agents", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert anonymous.get("/v1/agents", headers={"X-Api-Key": key}).status_code == 200
    for bad in ("Bearer nope", f"Basic {key}", "Bearer mk_0123456789abcdef_" + "a" * 43, f"Bearer {key[:-1]}x"):
        r = anonymous.get("/v1/agents", headers={"Authorization": bad})
        assert r.status_code == 401 and "API key" in r.json()["message"], bad


def test_a_revoked_key_is_refused_at_once(runtime: Runtime) -> None:
    admin = api_client(runtime)
    created = admin.post("/v1/keys", json={"name": "ci", "scopes": ["chat"]})
    assert created.status_code == 201
    key = created.json()["key"]
    user = TestClient(admin.app, headers={"Authorization": f"Bearer {key}"})
    assert user.get("/v1/agents").status_code == 200  # and now cached
    assert admin.delete(f"/v1/keys/{created.json()['key_id']}").status_code == 200
    assert user.get("/v1/agents").status_code == 401


def test_an_expired_key_is_refused(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = api_client(runtime)
    body = {"name": "temp", "scopes": ["chat"], "expires_at": time.time() + 60}
    key = admin.post("/v1/keys", json=body).json()["key"]
    user = TestClient(admin.app, headers={"X-Api-Key": key})
    assert user.get("/v1/agents").status_code == 200
    monkeypatch.setattr(runtime.keys, "clock", lambda: time.time() + 61)
    assert user.get("/v1/agents").status_code == 401
    past = admin.post("/v1/keys", json={**body, "expires_at": time.time() - 1})
    assert past.status_code == 422 and "past" in past.json()["message"]


def test_keys_api_shows_the_secret_once_and_manages_only_its_tenant(runtime: Runtime) -> None:
    acme = api_client(runtime, tenant="acme")
    beta = api_client(runtime, tenant="beta")
    made = acme.post("/v1/keys", json={"name": "svc", "scopes": ["chat", "stats"], "rate_per_s": 5, "burst": 20})
    assert made.status_code == 201
    new = made.json()
    assert new["key"].startswith(f"mk_{new['key_id']}_") and new["tenant_id"] == "acme"
    assert new["scopes"] == ["chat", "stats"] and new["rate_per_s"] == 5 and new["burst"] == 20
    listed = acme.get("/v1/keys").json()
    assert new["key_id"] in [k["key_id"] for k in listed]
    assert all("key" not in k and "secret_hash" not in k for k in listed)
    assert new["key"] not in acme.get("/v1/keys").text
    assert new["key_id"] not in beta.get("/v1/keys").text
    assert beta.delete(f"/v1/keys/{new['key_id']}").status_code == 404  # as if it did not exist
    assert runtime.keys.authenticate(new["key"]).tenant_id == "acme"  # still live
    for bad in ({"name": "x", "scopes": ["root"]}, {"name": "x", "scopes": []}, {"name": "", "scopes": ["chat"]}):
        assert acme.post("/v1/keys", json=bad).status_code == 422, bad
    assert acme.delete("/v1/keys/not-a-key-id").status_code == 422


def test_admin_actions_are_audited(runtime: Runtime) -> None:
    admin = api_client(runtime)
    new = admin.post("/v1/keys", json={"name": "svc", "scopes": ["chat"]}).json()
    admin.delete(f"/v1/keys/{new['key_id']}")
    r = admin.post("/v1/chat", json={"message": "how do I transfer money?", "user_id": "ana"})
    thread = r.json()["thread_id"]
    assert admin.delete(f"/v1/threads/{thread}").status_code == 200
    assert admin.delete("/v1/users/ana").status_code == 200
    admin.put("/v1/prompts/banking/labels/canary", json={"version": 1, "author": "ops"})
    events = admin.get("/v1/audit").json()
    actor = events[0]["actor"]
    assert [(e["action"], e["target"]) for e in events] == [
        ("key.created", f"key:{new['key_id']}"),
        ("key.revoked", f"key:{new['key_id']}"),
        ("thread.deleted", f"thread:{thread}"),
        ("user.erased", "user:ana"),
        ("prompt.label_moved", "prompt:banking@canary"),
    ]
    assert all(e["actor"] == actor and e["via"] == "api_key" and e["outcome"] == "ok" for e in events)
    assert actor == runtime.keys.list("default")[0].key_id  # the admin key that acted
    assert api_client(runtime, tenant="other").get("/v1/audit").json() == []  # per tenant


def test_the_openapi_document_declares_both_schemes(anonymous: TestClient) -> None:
    doc = anonymous.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["Bearer"]["scheme"] == "bearer" and schemes["ApiKey"]["name"] == "X-Api-Key"
    assert doc["paths"]["/v1/chat"]["post"]["security"] == [{"Bearer": []}, {"ApiKey": []}]
    assert "security" not in doc["paths"]["/healthz"]["get"]


# ---- JWT claims from API Gateway's authorizer, through Mangum ----------------------------------------
def lambda_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    claims: dict | None = None,
    scopes: Any = None,
    headers: dict | None = None,
) -> dict[str, Any]:
    import json

    from infra.sample_events import http_event

    event = http_event(method, path, body)
    del event["requestContext"]["authorizer"]
    event["headers"].update(headers or {})
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": scopes}}
    event["body"] = json.dumps(body) if body is not None else None
    return event


def call(runtime: Runtime, event: dict[str, Any]) -> tuple[int, Any]:
    import json

    from mangum import Mangum

    from mastra.invoke import LambdaContext

    out = Mangum(create_app(runtime), lifespan="off")(event, LambdaContext(function_name="api"))  # type: ignore[arg-type]
    return out["statusCode"], json.loads(out["body"]) if out.get("body") else None


def test_jwt_claims_map_to_the_callers_tenant_and_scopes(runtime: Runtime) -> None:
    claims = {"sub": "u-123", "custom:tenant_id": "acme", "scope": "mastra/chat mastra/memory openid"}
    status, body = call(
        runtime, lambda_event("POST", "/v1/chat", {"message": "hi there", "user_id": "ana"}, claims=claims, scopes=None)
    )
    assert status == 200, body
    assert runtime.store.get_thread("acme", body["thread_id"]) is not None  # the claim's tenant
    assert runtime.store.get_thread("default", body["thread_id"]) is None
    status, page = call(runtime, lambda_event("GET", "/v1/threads", claims=claims) | {"rawQueryString": "user_id=ana"})
    assert status == 200 and [t["thread_id"] for t in page["items"]] == [body["thread_id"]]
    status, err = call(runtime, lambda_event("GET", "/v1/stats", claims=claims))
    assert status == 403 and err["details"]["scope"] == "stats"
    # The authorizer's own scopes list counts too (an access token's scopes).
    status, _ = call(
        runtime,
        lambda_event("GET", "/v1/stats", claims={"sub": "s", "custom:tenant_id": "acme"}, scopes=["mastra/stats"]),
    )
    assert status == 200


def test_jwt_without_a_tenant_claim_is_refused_and_claims_cannot_come_from_headers(runtime: Runtime) -> None:
    status, err = call(runtime, lambda_event("GET", "/v1/agents", claims={"sub": "s", "scope": "mastra/chat"}))
    assert status == 403 and "custom:tenant_id" in err["message"]
    # No authorizer ran (API-key mode): a token or a claim-shaped header does not make a caller.
    forged = {
        "authorization": "Bearer eyJhbGciOiJub25lIn0.eyJjdXN0b206dGVuYW50X2lkIjoiYWNtZSJ9.",
        "x-amzn-requestcontext": '{"authorizer":{"jwt":{"claims":{"custom:tenant_id":"acme"}}}}',
    }
    status, err = call(runtime, lambda_event("GET", "/v1/agents", headers=forged))
    assert status == 401
    # A plain HTTP server (mastra serve) has no Lambda event at all.
    r = TestClient(create_app(runtime)).get(
        "/v1/agents", headers={"x-amzn-requestcontext": forged["x-amzn-requestcontext"]}
    )
    assert r.status_code == 401


def test_a_token_without_scopes_gets_the_default_ones_never_admin(runtime: Runtime) -> None:
    id_token = {"sub": "s", "custom:tenant_id": "acme", "token_use": "id"}  # a Cognito ID token: no scope claim
    assert call(runtime, lambda_event("GET", "/v1/agents", claims=id_token))[0] == 200
    assert (
        call(runtime, lambda_event("GET", "/v1/threads", claims=id_token) | {"rawQueryString": "user_id=a"})[0] == 200
    )
    for path in ("/v1/keys", "/v1/stats", "/v1/prompts"):
        assert call(runtime, lambda_event("GET", path, claims=id_token))[0] == 403, path
    # A scope claim that names none of ours grants nothing (not the defaults).
    status, _ = call(runtime, lambda_event("GET", "/v1/agents", claims={**id_token, "scope": "openid email"}))
    assert status == 403


def test_the_tenant_claim_name_is_configurable(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "settings", runtime.settings.model_copy(update={"jwt_tenant_claim": "org"}))
    status, _ = call(runtime, lambda_event("GET", "/v1/agents", claims={"sub": "s", "org": "acme", "scope": "chat"}))
    assert status == 200


# ---- the CLI: `mastra keys`, and `mastra serve`'s first start -----------------------------------------
def test_serve_creates_an_admin_key_on_first_start_only(runtime: Runtime) -> None:
    from mastra.security.cli import bootstrap_message

    first = bootstrap_message(runtime, "127.0.0.1", 8080)
    key = next(w for w in first.split() if w.startswith("mk_"))
    assert "shown ONCE" in first and "Authorization: Bearer $MASTRA_KEY" in first
    principal = runtime.keys.authenticate(key)
    assert principal.scopes == {"admin"} and principal.tenant_id == runtime.settings.tenant_id
    again = bootstrap_message(runtime, "127.0.0.1", 8080)
    assert "mk_" not in again and "mastra keys create" in again
    runtime.keys.revoke(runtime.settings.tenant_id, principal.key_id or "")
    assert "mk_" in bootstrap_message(runtime, "127.0.0.1", 8080)  # no live admin key: a new one


def test_keys_cli_creates_lists_and_revokes(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    import mastra.runtime
    from mastra.cli import main
    from mastra.errors import UnauthorizedError

    monkeypatch.setattr(mastra.runtime, "get_runtime", lambda: runtime)  # the CLI's in-process runtime
    assert main(["keys", "create", "--tenant", "acme", "--scopes", "chat,stats", "--name", "ci", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["key"].startswith("mk_") and made["scopes"] == ["chat", "stats"] and made["tenant_id"] == "acme"
    assert main(["keys", "list", "--tenant", "acme", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [k["key_id"] for k in listed] == [made["key_id"]] and made["key"] not in json.dumps(listed)
    assert main(["keys", "list", "--tenant", "beta", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["keys", "revoke", made["key_id"], "--tenant", "beta"]) == 2  # not beta's
    assert main(["keys", "revoke", made["key_id"], "--tenant", "acme"]) == 0
    assert main(["keys", "create", "--scopes", "root"]) == 2
    with pytest.raises(UnauthorizedError):
        runtime.keys.authenticate(made["key"])
