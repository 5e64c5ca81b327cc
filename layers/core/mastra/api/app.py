"""The application factory."""

from __future__ import annotations

from fastapi import FastAPI

from mastra import __version__
from mastra.api import errors
from mastra.api.limits import RateLimit
from mastra.api.routes import agents, chat, feedback, health, keys, memory, prompts, stats, ui
from mastra.runtime import Runtime, get_runtime


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
    )
    app.state.runtime = runtime or get_runtime()
    errors.install(app)
    # Authenticated routers spend a rate-limit token per call; /healthz (and /docs, /openapi.json, /ui) do not.
    for module in (chat, agents, prompts, memory, stats, feedback, keys):
        app.include_router(module.router, dependencies=[RateLimit])
    app.include_router(health.router)
    app.include_router(ui.router)  # the console page at /ui
    return app
