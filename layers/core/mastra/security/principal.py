"""The authenticated caller, as every route sees it.

The tenant comes from the credential (an API key's record, or a JWT's claims), never from the
request body: every store call a route makes is scoped by ``principal.tenant_id``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scope = Literal["chat", "feedback", "memory", "prompts", "stats", "admin"]
ALL_SCOPES: tuple[Scope, ...] = ("chat", "feedback", "memory", "prompts", "stats", "admin")


class Principal(BaseModel):
    """A caller whose credential checked out."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    scopes: frozenset[str] = Field(description="What the credential may do; 'admin' implies every scope.")
    key_id: str | None = Field(None, description="The API key's public id (None for a JWT caller).")
    subject: str | None = Field(None, description="The JWT subject, or the key's name.")
    via: Literal["api_key", "jwt", "local"] = "api_key"
    rate_per_s: float | None = Field(None, description="The key's token-bucket refill rate (None: the default).")
    burst: int | None = Field(None, description="The key's bucket size (None: the default).")

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    @property
    def actor(self) -> str:
        """Who did it, for audit events and rate-limit buckets."""
        return self.key_id or f"jwt:{self.subject}"
