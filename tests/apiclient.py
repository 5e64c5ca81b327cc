"""An API test client that authenticates, as every real caller must."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.testclient import TestClient

from mastra.api import create_app
from mastra.runtime import Runtime


def api_client(
    runtime: Runtime, *, scopes: Iterable[str] = ("admin",), tenant: str | None = None, **kwargs: Any
) -> TestClient:
    """A TestClient over ``create_app(runtime)`` sending a fresh key of ``tenant`` (default: the
    deployment's) with ``scopes`` (default: admin, which implies every scope)."""
    key = runtime.keys.create(tenant or runtime.settings.tenant_id, "test", scopes)
    headers = {"Authorization": f"Bearer {key.key}", **kwargs.pop("headers", {})}
    return TestClient(create_app(runtime), headers=headers, **kwargs)


#: Routes anyone may call: liveness, the API's documents and the console's static files.
PUBLIC_ROUTES = {"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/ui", "/ui/{name}"}


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, hidden ones too, read from the app itself."""
    try:  # FastAPI >= 0.16x wraps included routers; this flattens them
        from fastapi.routing import iter_route_contexts

        routes: Any = list(iter_route_contexts(app.routes))
    except ImportError:  # older FastAPI: the routes are flat already
        routes = app.routes
    return sorted(
        (method, route.path)
        for route in routes
        for method in (getattr(route, "methods", None) or ())
        if method != "HEAD"
    )


def protected_routes(app: Any) -> list[tuple[str, str]]:
    return [(m, p) for m, p in app_routes(app) if p not in PUBLIC_ROUTES]
