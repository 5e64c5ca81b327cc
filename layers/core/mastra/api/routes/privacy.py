"""The tenant's PII policy: what happens to emails, phone numbers, cards ... in stored and returned text.

Admin scope: the policy decides what personal data the platform keeps for the whole tenant.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mastra.api.deps import RuntimeDep, require
from mastra.api.schemas import ErrorBody
from mastra.privacy.entities import TYPES
from mastra.privacy.policy import Mode, PrivacyPolicy
from mastra.security.principal import Principal

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])
Admin = Annotated[Principal, Depends(require("admin"))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "The credential lacks the admin scope."},
    503: {"model": ErrorBody, "description": "The store is unavailable; retry."},
}


class PrivacyPolicyBody(BaseModel):
    """A whole policy (PUT replaces it): ``modes`` per entity type, ``default`` for the others."""

    model_config = ConfigDict(extra="forbid")
    default: Mode = Field("redact", description="The mode of every type not in ``modes``.")
    modes: dict[str, Mode] = Field(
        default_factory=dict, description=f"Entity type -> redact | mask | allow. Types: {', '.join(TYPES)}."
    )

    @field_validator("modes")
    @classmethod
    def _known(cls, modes: dict[str, Mode]) -> dict[str, Mode]:
        unknown = sorted(set(modes) - set(TYPES))
        if unknown:
            raise ValueError(f"unknown entity type(s) {unknown}; known: {list(TYPES)}")
        return modes


class PrivacyPolicyView(BaseModel):
    tenant_id: str
    default: Mode
    modes: dict[str, Mode] = Field(description="Every entity type's mode in force.")
    updated_at: float | None = None
    updated_by: str | None = None

    @classmethod
    def of(cls, policy: PrivacyPolicy) -> PrivacyPolicyView:
        return cls(
            tenant_id=policy.tenant_id,
            default=policy.default,
            modes=policy.effective(),
            updated_at=policy.updated_at,
            updated_by=policy.updated_by,
        )


@router.get("", response_model=PrivacyPolicyView, responses=_ERRORS, summary="The tenant's PII policy")
def get_policy(runtime: RuntimeDep, principal: Admin) -> PrivacyPolicyView:
    """Every entity type's mode (the default, redact everything, if none was set)."""
    return PrivacyPolicyView.of(runtime.privacy.policy(principal.tenant_id))


@router.put(
    "",
    response_model=PrivacyPolicyView,
    responses={422: {"model": ErrorBody, "description": "Unknown entity type or mode."}, **_ERRORS},
    summary="Replace the tenant's PII policy",
)
def put_policy(body: PrivacyPolicyBody, runtime: RuntimeDep, principal: Admin) -> PrivacyPolicyView:
    """Applies to what is stored and returned from now on (within the policy cache's TTL on other
    workers); text already stored is not rewritten."""
    policy = PrivacyPolicy(tenant_id=principal.tenant_id, default=body.default, modes=body.modes)
    stored = runtime.privacy.set_policy(policy, actor=principal.actor)
    modes = ",".join(f"{t}={m}" for t, m in sorted(body.modes.items()))
    runtime.audit(principal, "privacy.policy_set", f"privacy:default={body.default}" + (f";{modes}" if modes else ""))
    return PrivacyPolicyView.of(stored)
