"""The application factory."""

from __future__ import annotations

from fastapi import FastAPI

from mastra import __version__
from mastra.api import errors
from mastra.api.routes import agents, chat, feedback, health, memory, privacy, prompts, stats, ui
from mastra.runtime import Runtime, get_runtime


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The API over ``runtime`` (default: the process's runtime from ``MASTRA_*`` settings)."""
    app = FastAPI(
        title="Mastra",
        version=__version__,
        description="Route each request to the best agent, run it, reflect on the answer and remember the turn.",
    )
    app.state.runtime = runtime or get_runtime()
    errors.install(app)
    for module in (chat, agents, prompts, memory, health, stats, feedback, privacy):
        app.include_router(module.router)
    app.include_router(ui.router)  # the console page at /ui
    return app
