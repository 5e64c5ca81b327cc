"""API keys of the caller's tenant: create (the secret is shown once), list, revoke. Needs ``admin``.

A key manages only its own tenant's keys: another tenant's key id is a 404, as if it did not exist.
Every create and revoke is audited (``audit.recorded``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from mastra.api.deps import AdminCaller, RuntimeDep
from mastra.api.schemas import ErrorBody
from mastra.events.models import AuditRecorded
from mastra.security.keys import KEY_ID_PATTERN, NAME_PATTERN, KeyInfo, NewKey
from mastra.security.principal import Scope

keys = APIRouter(prefix="/v1/keys", tags=["keys"])
audit = APIRouter(prefix="/v1/audit", tags=["keys"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No credential, or an unknown, revoked or expired one."},
    403: {"model": ErrorBody, "description": "The credential lacks the admin scope."},
    422: {"model": ErrorBody, "description": "Bad body; the message says why."},
}


class CreateKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="What the key is for (shown in listings).")
    scopes: list[Scope] = Field(min_length=1, description="What it may do; 'admin' implies every scope.")
    expires_at: float | None = Field(None, description="Unix time after which it is refused (default: never).")
    rate_per_s: float | None = Field(None, gt=0, le=10_000, description="Its request rate (default: the deployment's).")
    burst: int | None = Field(None, ge=1, le=100_000, description="Its burst (default: the deployment's).")


@keys.post("", response_model=NewKey, status_code=201, responses=_ERRORS, summary="Create an API key")
def create_key(body: CreateKey, runtime: RuntimeDep, caller: AdminCaller) -> NewKey:
    """A new key of the caller's tenant. ``key`` is the secret: it is returned this once and only
    its hash is stored."""
    created = runtime.keys.create(
        caller.tenant_id,
        body.name,
        body.scopes,
        expires_at=body.expires_at,
        rate_per_s=body.rate_per_s,
        burst=body.burst,
        created_by=caller.actor,
    )
    runtime.audit(caller, "key.created", f"key:{created.key_id}", scopes=" ".join(created.scopes), name=created.name)
    return created


@keys.get("", response_model=list[KeyInfo], responses=_ERRORS, summary="List the tenant's API keys")
def list_keys(runtime: RuntimeDep, caller: AdminCaller) -> list[KeyInfo]:
    """Every key of the caller's tenant, oldest first, revoked ones too (never a secret or a hash)."""
    return runtime.keys.list(caller.tenant_id)


@keys.delete(
    "/{key_id}",
    response_model=KeyInfo,
    responses={404: {"model": ErrorBody, "description": "No such key in this tenant."}, **_ERRORS},
    summary="Revoke an API key",
)
def revoke_key(
    key_id: Annotated[str, Path(pattern=KEY_ID_PATTERN, description="The key's public id.")],
    runtime: RuntimeDep,
    caller: AdminCaller,
) -> KeyInfo:
    """Refused from now on (other processes within ``MASTRA_KEY_CACHE_TTL_S``, 5 s by default).
    Revoking a revoked key returns it unchanged."""
    revoked = runtime.keys.revoke(caller.tenant_id, key_id)
    runtime.audit(caller, "key.revoked", f"key:{key_id}")
    return revoked


@audit.get("", response_model=list[AuditRecorded], responses=_ERRORS, summary="The tenant's audit events of a day")
def audit_events(
    runtime: RuntimeDep,
    caller: AdminCaller,
    day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="UTC day (default: today).")] = None,
) -> list[AuditRecorded]:
    """Admin actions (key creation and revocation, prompt releases, thread deletions, user
    erasures) of the caller's tenant on ``day``, oldest first."""
    from mastra.events.models import audit_day

    request_id = f"audit:{day}" if day else audit_day(time.time())
    records = runtime.store.list_events(caller.tenant_id, request_id)
    events = [AuditRecorded.model_validate(r.body) for r in records if r.type == "audit.recorded"]
    return sorted(events, key=lambda e: e.occurred_at)


# Included after the routes above are declared: include_router copies the routes it finds then.
router = APIRouter()
router.include_router(keys)
router.include_router(audit)
