"""Errors the router raises itself (no route, wrong method) have the body every other error has."""

from __future__ import annotations

from fastapi.testclient import TestClient

from mastra.api import create_app
from mastra.runtime import Runtime


def test_an_unknown_route_is_a_404_with_a_reason(runtime: Runtime) -> None:
    r = TestClient(create_app(runtime)).get("/v1/nowhere")
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": "no such route: GET /v1/nowhere"}


def test_a_wrong_method_is_a_405_with_a_reason_and_allow(runtime: Runtime) -> None:
    r = TestClient(create_app(runtime)).request("TRACE", "/healthz")
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    assert r.json() == {"error": "method_not_allowed", "message": "TRACE is not allowed on /healthz"}


def test_a_not_found_raised_by_a_route_keeps_its_own_message(runtime: Runtime) -> None:
    r = TestClient(create_app(runtime)).get("/ui/nothing.css")
    assert r.status_code == 404 and r.json() == {"error": "not_found", "message": "no such console file: nothing.css"}
