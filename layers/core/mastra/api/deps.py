"""Dependencies shared by the routes, as named ``Annotated`` types (tests override them).

Authentication (:func:`principal_dep`) accepts, in this order:

1. JWT claims that API Gateway's JWT authorizer verified. HTTP API puts them in the Lambda event
   (``requestContext.authorizer.jwt``), which Mangum exposes as ``request.scope["aws.event"]``;
   a client can set headers but not the event's request context, so these cannot be forged.
   The tenant is the ``MASTRA_JWT_TENANT_CLAIM`` claim (default ``custom:tenant_id``), the scopes
   come from the ``scope`` claim and the authorizer's ``scopes`` (``mastra/chat`` counts as
   ``chat``); a token with no scope at all (a Cognito ID token) gets ``MASTRA_JWT_DEFAULT_SCOPES``
   (default ``chat,feedback,memory``: never admin, prompts or stats).
2. An API key: ``Authorization: Bearer mk_...`` or ``X-Api-Key: mk_...``.

No credential, or an unknown, revoked or expired key: 401. A valid one without the scope a route
needs: 403 (:func:`require`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from mastra.errors import ForbiddenError, UnauthorizedError
from mastra.runtime import Runtime
from mastra.security.principal import ALL_SCOPES, Principal


def runtime_dep(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(runtime_dep)]

# auto_error=False: a missing header is our 401 with our error body, not FastAPI's 403.
# Declared as dependencies so the OpenAPI document has both schemes (the Authorize button of /docs).
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer",
    description="An API key (`mk_...`), or a JWT behind the API Gateway authorizer.",
)
_api_key = APIKeyHeader(name="X-Api-Key", scheme_name="ApiKey", auto_error=False, description="An API key (`mk_...`).")
_TENANT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def jwt_claims(request: Request) -> tuple[dict[str, Any], list[str]] | None:
    """The claims and scopes API Gateway's JWT authorizer verified (None: no authorizer ran)."""
    event = request.scope.get("aws.event")
    if not isinstance(event, dict):
        return None
    jwt = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt")
    if not isinstance(jwt, dict) or not isinstance(jwt.get("claims"), dict):
        return None
    scopes = jwt.get("scopes")
    return jwt["claims"], [str(s) for s in scopes] if isinstance(scopes, list) else []


def _words(value: Any) -> Iterable[str]:
    # HTTP API flattens list claims to "[a b]" strings; Cognito's scope claim is space-separated.
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value or "").strip("[]").replace(",", " ").split()


def principal_from_claims(
    claims: dict[str, Any], scopes: Iterable[str], tenant_claim: str, default_scopes: Iterable[str] = ()
) -> Principal:
    tenant = claims.get(tenant_claim)
    if not isinstance(tenant, str) or not _TENANT.match(tenant):
        raise ForbiddenError(f"the token carries no valid {tenant_claim!r} claim", details={"claim": tenant_claim})
    named = [*_words(claims.get("scope")), *scopes]
    granted = {s.rsplit("/", 1)[-1] for s in named} if named else set(default_scopes)  # "mastra/chat" -> "chat"
    return Principal(
        tenant_id=tenant,
        scopes=frozenset(granted & set(ALL_SCOPES)),
        subject=str(claims.get("sub") or claims.get("client_id") or "unknown"),
        via="jwt",
    )


def principal_dep(
    request: Request,
    runtime: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller, from verified JWT claims or an API key (401 if neither)."""
    verified = jwt_claims(request)
    if verified is not None:
        settings = runtime.settings
        defaults = [s for s in settings.jwt_default_scopes.split(",") if s]
        return principal_from_claims(*verified, tenant_claim=settings.jwt_tenant_claim, default_scopes=defaults)
    token = api_key or (bearer.credentials if bearer is not None else None)
    if not token:
        raise UnauthorizedError("send an API key: `Authorization: Bearer <key>` or `X-Api-Key: <key>`")
    return runtime.keys.authenticate(token)


PrincipalDep = Annotated[Principal, Depends(principal_dep)]


def require(scope: str) -> Callable[[Principal], Principal]:
    """A dependency that passes the caller through if it holds ``scope`` (403 otherwise)."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.allows(scope):
            raise ForbiddenError(f"this credential lacks the {scope!r} scope", details={"scope": scope})
        return principal

    return check


ChatCaller = Annotated[Principal, Depends(require("chat"))]
FeedbackCaller = Annotated[Principal, Depends(require("feedback"))]
MemoryCaller = Annotated[Principal, Depends(require("memory"))]
PromptsCaller = Annotated[Principal, Depends(require("prompts"))]
StatsCaller = Annotated[Principal, Depends(require("stats"))]
AdminCaller = Annotated[Principal, Depends(require("admin"))]
