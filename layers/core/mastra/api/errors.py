"""One place that turns errors into HTTP responses: Mastra errors by their status, bad input as 422."""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mastra.errors import (
    BudgetExceededError,
    ConflictError,
    EventPublishError,
    ForbiddenError,
    InvalidRequestError,
    MastraError,
    NotFoundError,
    PipelineError,
    ProviderError,
    ProviderThrottledError,
    RateLimitedError,
    SpecError,
    StepTimeoutError,
    StorageError,
    StorageRejectedError,
    ToolError,
    UnauthorizedError,
)

log = logging.getLogger("mastra.api")

#: HTTP status per error class; a subclass not listed takes its nearest listed ancestor's.
STATUS: dict[type[MastraError], int] = {
    InvalidRequestError: 422,
    SpecError: 422,
    ToolError: 422,
    NotFoundError: 404,
    ConflictError: 409,
    ProviderError: 502,
    ProviderThrottledError: 503,
    StepTimeoutError: 504,
    StorageError: 503,
    StorageRejectedError: 500,  # our data or configuration, not the caller's; retrying will not help
    EventPublishError: 503,
    PipelineError: 502,
    BudgetExceededError: 429,
    UnauthorizedError: 401,
    ForbiddenError: 403,
    RateLimitedError: 429,
}


def status_of(exc: MastraError) -> int:
    return next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 500)


def _reason(error: dict[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p != "body"]
    return f"{'.'.join(loc) or 'body'}: {error.get('msg')}"


def error_response(exc: MastraError) -> JSONResponse:
    """The response for a Mastra error: its status, body and headers (also stored for idempotent replays)."""
    status = status_of(exc)
    if status >= 500:
        log.error("request failed: %s", exc.message)
    headers = {"Retry-After": "1"} if exc.retryable else None
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    elif isinstance(exc, UnauthorizedError):
        headers = {"WWW-Authenticate": 'Bearer realm="mastra"'}
    return JSONResponse(status_code=status, content=exc.to_dict(), headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(MastraError)
    async def mastra_error(request: Request, exc: MastraError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return JSONResponse(
            status_code=422,
            content={
                "error": "invalid_request",
                "message": "; ".join(_reason(e) for e in errors),
                "details": [
                    {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors
                ],
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The router's own 404 and 405 (and any HTTPException) in the same body as every other error.
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": _http_code(exc.status_code), "message": _http_reason(request, exc)},
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - safety net
        log.exception("unexpected error")
        return JSONResponse(status_code=500, content={"error": "internal_error", "message": "internal error"})


def _http_code(status: int) -> str:
    """``not_found``, ``method_not_allowed``...: the status's phrase as an error code."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def _http_reason(request: Request, exc: StarletteHTTPException) -> str:
    if exc.status_code == 404 and exc.detail == "Not Found":  # the router's: no route matched
        return f"no such route: {request.method} {request.url.path}"
    if exc.status_code == 405:
        return f"{request.method} is not allowed on {request.url.path}"
    return str(exc.detail or _http_code(exc.status_code).replace("_", " "))
