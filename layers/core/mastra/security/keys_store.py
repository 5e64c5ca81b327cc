"""The API-key store contract; one file per backend (``keys_sqlite``, ``keys_dynamodb``).

key   key_id -> ApiKey   (one read to check a credential; key ids are random, unique)
list  tenant -> its keys (for listings and the first-start check of ``mastra serve``)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from mastra.security.keys import ApiKey


class KeyStore(ABC):
    backend: ClassVar[str]

    @abstractmethod
    def put(self, key: ApiKey) -> None:
        """Store a new key (a key id is never reused: ConflictError if it exists)."""

    @abstractmethod
    def get(self, key_id: str) -> ApiKey | None:
        """The key, whatever its tenant (callers check the tenant); one read."""

    @abstractmethod
    def list(self, tenant_id: str) -> list[ApiKey]:
        """The tenant's keys, oldest first (revoked ones too)."""

    @abstractmethod
    def revoke(self, tenant_id: str, key_id: str, at: float) -> ApiKey | None:
        """Mark the tenant's key revoked at ``at`` (an earlier revocation stands); the key as stored
        now, or None if the tenant has no such key."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (the file and table are the turn store's)."""
