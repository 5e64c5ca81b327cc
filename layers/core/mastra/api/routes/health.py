from __future__ import annotations

from fastapi import APIRouter

from mastra import __version__
from mastra.api.deps import RuntimeDep
from mastra.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness and configuration")
def healthz(runtime: RuntimeDep) -> Health:
    return Health(status="ok", version=__version__, agents=len(runtime.agents.registry), store=runtime.store.backend)
