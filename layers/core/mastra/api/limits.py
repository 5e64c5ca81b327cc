"""The rate limit as a dependency: every authenticated router is included with it (``app.py``).

It runs after authentication (it takes the ``Principal``) and before the endpoint: an empty
bucket answers 429 with ``Retry-After`` and the endpoint never runs. Public routes (``/healthz``,
``/docs``, ``/openapi.json``, ``/ui``) are included without it.
"""

from __future__ import annotations

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool

from mastra.api.deps import PrincipalDep, RuntimeDep
from mastra.security.principal import Principal


async def rate_limit(principal: PrincipalDep, runtime: RuntimeDep) -> Principal:
    """Spend one of the caller's tokens (429 with Retry-After when there is none)."""
    await run_in_threadpool(runtime.rate_limiter.check, principal)  # a store round trip: off the event loop
    return principal


RateLimit = Depends(rate_limit)
