"""A tenant's privacy policy: what happens to each entity type (``redact``, ``mask`` or ``allow``).

The default redacts every type: a tenant that wants users' own emails or phone numbers kept in
conversations (a CRM assistant, say) opts in per type. Redaction is decided once, where data
enters (the user's message) or leaves (the answer), so stores, events, logs and providers only
ever see what the policy lets through. Logs always redact everything, whatever the policy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from mastra.privacy.entities import TYPES

Mode = Literal["redact", "mask", "allow"]
MODES: tuple[str, ...] = ("redact", "mask", "allow")


class PrivacyPolicy(BaseModel):
    """Per-type modes; a type not listed gets ``default``."""

    tenant_id: str = "default"
    default: Mode = "redact"
    modes: dict[str, Mode] = Field(default_factory=dict, description="Entity type -> mode, e.g. {'EMAIL': 'mask'}.")
    updated_at: float | None = None
    updated_by: str | None = None

    @field_validator("modes")
    @classmethod
    def _known_types(cls, modes: dict[str, Mode]) -> dict[str, Mode]:
        unknown = sorted(set(modes) - set(TYPES))
        if unknown:
            raise ValueError(f"unknown entity type(s) {unknown}; known: {list(TYPES)}")
        return modes

    def mode(self, entity_type: str) -> Mode:
        return self.modes.get(entity_type, self.default)

    def effective(self) -> dict[str, Mode]:
        """Every type's mode."""
        return {t: self.mode(t) for t in TYPES}


#: What applies to a tenant that never set a policy, and to logs.
DEFAULT = PrivacyPolicy()
