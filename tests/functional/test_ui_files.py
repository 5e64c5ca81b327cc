"""The console's files as the API serves them: content types, the Content-Security-Policy, nothing else."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.apiclient import api_client

from mastra.api.routes.ui import CSP


@pytest.fixture
def client(runtime) -> TestClient:  # type: ignore[no-untyped-def]
    return api_client(runtime)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/ui", "text/html; charset=utf-8"),
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "text/css; charset=utf-8"),
        ("/ui/icon.svg", "image/svg+xml"),
    ],
)
def test_each_file_is_served_with_its_type_and_a_policy(client: TestClient, path: str, content_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content


def test_the_policy_allows_nothing_inline_and_no_other_origin() -> None:
    directives = dict(d.split(" ", 1) for d in CSP.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CSP and "http" not in CSP


def test_the_page_has_no_inline_code_and_loads_only_relative_files(client: TestClient) -> None:
    html = client.get("/ui").text
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="ui/app.js" defer>']
    assert "<style" not in html and " style=" not in html and not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from another origin
    for url in re.findall(r"(?:src|href)=\"([^\"]+)\"", html):
        assert client.get(f"/{url}").status_code == 200, url


def test_the_script_calls_only_this_api(client: TestClient) -> None:
    js = client.get("/ui/app.js").text
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", js)
    assert set(re.findall(r"api\(\s*[`\"](v1/[a-z]+)", js)) == {"v1/chat", "v1/feedback", "v1/stats"}


@pytest.mark.parametrize("name", ["missing.js", "..%2Fapp.py", "app.py", "index.HTML", ".hidden.js", "x.json"])
def test_anything_else_is_not_found(client: TestClient, name: str) -> None:
    response = client.get(f"/ui/{name}")
    assert response.status_code == 404
    assert "content-security-policy" not in response.headers


def test_the_console_is_not_in_the_api_schema(client: TestClient) -> None:
    assert not any(path.startswith("/ui") for path in client.get("/openapi.json").json()["paths"])
