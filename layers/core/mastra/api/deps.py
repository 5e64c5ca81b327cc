"""Dependencies shared by the routes, as named ``Annotated`` types (tests override them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from mastra.errors import ForbiddenError
from mastra.runtime import Runtime
from mastra.security.principal import ALL_SCOPES, Principal


def runtime_dep(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(runtime_dep)]


def principal_dep(request: Request, runtime: RuntimeDep) -> Principal:
    """The caller. Placeholder until API keys land: the deployment's tenant with every scope."""
    return Principal(tenant_id=runtime.settings.tenant_id, scopes=frozenset(ALL_SCOPES), via="local")


PrincipalDep = Annotated[Principal, Depends(principal_dep)]


def require(scope: str) -> Callable[[Principal], Principal]:
    """A dependency that passes the caller through if it holds ``scope`` (403 otherwise)."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.allows(scope):
            raise ForbiddenError(f"this credential lacks the {scope!r} scope", details={"scope": scope})
        return principal

    return check
