"""The console page at ``/ui``: static files shipped in the package, under a strict Content-Security-Policy.

The page (``mastra/api/ui/``) is plain HTML, CSS and JavaScript: nothing to build, no third-party
code, and it talks only to this API (``POST /v1/chat``, ``POST /v1/feedback``, ``GET /v1/stats``)
through relative URLs, so it works behind an API Gateway stage prefix too.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from mastra.errors import NotFoundError

router = APIRouter(tags=["ui"], include_in_schema=False)

#: Scripts and styles only from files served here: no inline code, no other origin, no framing.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_ASSET = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z]+)$")


@cache
def asset(name: str) -> tuple[bytes, str]:
    """The bytes and content type of ``mastra/api/ui/<name>``; NotFoundError for anything else.

    >>> asset("index.html")[1]
    'text/html; charset=utf-8'
    """
    match = _ASSET.match(name)
    if match is None or match.group(1) not in CONTENT_TYPES:
        raise NotFoundError(f"no such console file: {name}")
    path = resources.files("mastra.api").joinpath("ui", name)
    if not path.is_file():
        raise NotFoundError(f"no such console file: {name}")
    return path.read_bytes(), CONTENT_TYPES[match.group(1)]


def _serve(name: str) -> Response:
    body, media_type = asset(name)
    return Response(body, media_type=media_type, headers=HEADERS)


@router.get("/ui", summary="The console: chat, each answer's trace, feedback and per-agent statistics")
def page() -> Response:
    return _serve("index.html")


@router.get("/ui/{name}", summary="A file of the console (script, style sheet, icon)")
def ui_file(name: str) -> Response:
    return _serve(name)
