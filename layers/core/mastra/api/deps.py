"""Dependencies shared by the routes, as named ``Annotated`` types (tests override them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mastra.runtime import Runtime


def runtime_dep(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(runtime_dep)]
