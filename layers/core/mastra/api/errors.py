"""One place that turns errors into HTTP responses: Mastra errors by their status, bad input as 422."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from mastra.errors import MastraError

log = logging.getLogger("mastra.api")


def _reason(error: dict[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p != "body"]
    return f"{'.'.join(loc) or 'body'}: {error.get('msg')}"


def install(app: FastAPI) -> None:
    @app.exception_handler(MastraError)
    async def mastra_error(request: Request, exc: MastraError) -> JSONResponse:
        if exc.status >= 500:
            log.error("request failed: %s", exc.message)
        headers = {"Retry-After": "1"} if exc.retryable else None
        return JSONResponse(status_code=exc.status, content=exc.to_dict(), headers=headers)

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

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - safety net
        log.exception("unexpected error")
        return JSONResponse(status_code=500, content={"error": "internal_error", "message": "internal error"})
