"""The HTTP API (FastAPI). ``functions/api`` wraps it with Mangum; ``mastra serve`` runs it with uvicorn."""

from mastra.api.app import create_app

__all__ = ["create_app"]
