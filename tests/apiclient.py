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
