"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mastra import __version__
from mastra.api import errors
from mastra.api.limits import RateLimit
from mastra.api.routes import agents, chat, feedback, health, keys, memory, privacy, prompts, requests, stats, ui
from mastra.runtime import Runtime, get_runtime


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime: Runtime = app.state.runtime
    # The embedded queue's workers start with the API: work queued before a crash or restart runs now.
    started = runtime.settings.requests_queue == "local" and runtime.async_requests.start_workers() is not None
    try:
        yield
    finally:
        if started:
            runtime.async_requests.stop_workers()


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The API over ``runtime`` (default: the process's runtime from ``MASTRA_*`` settings)."""
    app = FastAPI(
        title="Mastra",
        version=__version__,
        description=(
            "Route each request to the best agent, run it, reflect on the answer and remember the turn.\n\n"
            "Every `/v1` call needs a credential: an API key as `Authorization: Bearer mk_...` (or "
            "`X-Api-Key`), or on AWS a JWT checked by API Gateway. `/healthz`, `/docs` and "
            "`/openapi.json` are public."
        ),
        lifespan=_lifespan,
    )
    app.state.runtime = runtime or get_runtime()
    errors.install(app)
    # Authenticated routers spend a rate-limit token per call; /healthz (and /docs, /openapi.json, /ui) do not.
    for module in (chat, requests, agents, prompts, memory, stats, feedback, keys, privacy):
        app.include_router(module.router, dependencies=[RateLimit])
    app.include_router(health.router)
    app.include_router(ui.router)  # the console page at /ui
    return app
