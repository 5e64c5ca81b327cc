"""The HTTP API (FastAPI). ``functions/api`` wraps it with Mangum; ``mastra serve`` runs it with uvicorn.

``create_app`` is imported on use: the response models in ``mastra.api.schemas`` are plain
pydantic, and the CLI prints them without the ``api`` extra (FastAPI) installed.
"""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports

if TYPE_CHECKING:
    from mastra.api.app import create_app

__getattr__ = lazy_exports(__name__, {"create_app": "mastra.api.app"})
__all__ = ["create_app"]
