"""API keys: per-tenant, scoped, revocable credentials, stored as a hash.

A key is shown once, at creation, as ``mk_<key_id>_<secret>``. The ``key_id`` is public (it names
the key in listings, audit events and rate-limit buckets) and is the store's key, so checking a
key is one read. Only ``sha256(token)`` is stored and compared with ``hmac.compare_digest``.

Why SHA-256 and not bcrypt/scrypt/argon2: those slow hashes protect *low-entropy* secrets
(passwords) from offline guessing. The secret here is 256 random bits: no dictionary exists and
brute force is out of reach whatever the hash, while a slow hash would add ~100 ms of CPU to every
API call (the key is checked on every request, not once per login).

Revocation takes effect at once in the process that revokes; other processes (other Lambda
containers, other ``mastra serve`` workers) cache a looked-up key for at most ``cache_ttl_s``
(``MASTRA_KEY_CACHE_TTL_S``, default 5 s; 0 turns the cache off), so a revoked or expired key is
refused everywhere within that time. Unknown key ids are not cached (nothing to revoke).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mastra.errors import InvalidRequestError, NotFoundError, UnauthorizedError
from mastra.security.principal import ALL_SCOPES, Principal

if TYPE_CHECKING:
    from mastra.security.keys_store import KeyStore

PREFIX = "mk_"
KEY_ID_PATTERN = r"^[0-9a-f]{16}$"
_TOKEN = re.compile(r"^mk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
NAME_PATTERN = r"^[\w .:@/-]{1,64}$"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_token(token: str) -> str | None:
    """The key id of a well-formed token (None: not one of ours).

    >>> parse_token("mk_0123456789abcdef_" + "a" * 43)
    '0123456789abcdef'
    >>> parse_token("mk_nothex") is None
    True
    """
    match = _TOKEN.match(token.strip())
    return match.group(1) if match else None


def new_token() -> tuple[str, str]:
    """``(key_id, token)``: 64 random bits of id, 256 of secret."""
    key_id = secrets.token_hex(8)
    return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    scopes = frozenset(s.strip() for s in scopes if s.strip())
    unknown = sorted(scopes - set(ALL_SCOPES))
    if unknown or not scopes:
        raise InvalidRequestError(
            f"scopes must be some of {', '.join(ALL_SCOPES)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
            details={"scopes": sorted(scopes)},
        )
    return scopes


class ApiKey(BaseModel):
    """A stored key (never the secret: only its hash)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str = Field(pattern=KEY_ID_PATTERN)
    tenant_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(pattern=NAME_PATTERN)
    scopes: frozenset[str]
    created_at: float
    created_by: str | None = Field(None, description="The actor that created it (a key id, jwt:<sub>, or cli).")
    revoked_at: float | None = None
    expires_at: float | None = None
    rate_per_s: float | None = Field(None, gt=0)
    burst: int | None = Field(None, ge=1)
    secret_hash: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("scopes")
    @classmethod
    def _known(cls, value: frozenset[str]) -> frozenset[str]:
        return check_scopes(value)

    def active(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def public(self) -> KeyInfo:
        return KeyInfo.model_validate(self.model_dump(exclude={"secret_hash"}))

    def principal(self) -> Principal:
        return Principal(
            tenant_id=self.tenant_id,
            scopes=self.scopes,
            key_id=self.key_id,
            subject=self.name,
            via="api_key",
            rate_per_s=self.rate_per_s,
            burst=self.burst,
        )


class KeyInfo(BaseModel):
    """A key as listings show it: no secret, no hash."""

    key_id: str
    tenant_id: str
    name: str
    scopes: list[str]
    created_at: float
    created_by: str | None = None
    revoked_at: float | None = None
    expires_at: float | None = None
    rate_per_s: float | None = None
    burst: int | None = None

    @field_validator("scopes", mode="before")
    @classmethod
    def _sorted(cls, value: Iterable[str]) -> list[str]:
        return sorted(value)


class NewKey(KeyInfo):
    """A key just created: ``key`` is the secret token, shown this once."""

    key: str = Field(description="The credential: send it as `Authorization: Bearer <key>`. It is not stored.")


class KeyService:
    """Create, list, revoke and check keys over a :class:`KeyStore`."""

    def __init__(self, store: KeyStore, *, cache_ttl_s: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.cache_ttl_s = cache_ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, ApiKey]] = {}
        self._lock = threading.Lock()

    def create(
        self,
        tenant_id: str,
        name: str,
        scopes: Iterable[str],
        *,
        expires_at: float | None = None,
        rate_per_s: float | None = None,
        burst: int | None = None,
        created_by: str | None = None,
    ) -> NewKey:
        now = self.clock()
        if expires_at is not None and expires_at <= now:
            raise InvalidRequestError("expires_at is in the past", details={"expires_at": expires_at})
        key_id, token = new_token()
        key = ApiKey(
            key_id=key_id,
            tenant_id=tenant_id,
            name=name,
            scopes=check_scopes(scopes),
            created_at=now,
            created_by=created_by,
            expires_at=expires_at,
            rate_per_s=rate_per_s,
            burst=burst,
            secret_hash=hash_token(token),
        )
        self.store.put(key)
        return NewKey(**key.public().model_dump(), key=token)

    def list(self, tenant_id: str, *, include_revoked: bool = True) -> list[KeyInfo]:
        keys = self.store.list(tenant_id)
        return [k.public() for k in keys if include_revoked or k.revoked_at is None]

    def get(self, tenant_id: str, key_id: str) -> KeyInfo:
        key = self.store.get(key_id)
        if key is None or key.tenant_id != tenant_id:  # another tenant's key does not exist for this one
            raise NotFoundError(f"no key {key_id!r}", details={"key_id": key_id})
        return key.public()

    def revoke(self, tenant_id: str, key_id: str) -> KeyInfo:
        """Revoke a key of ``tenant_id`` (NotFoundError for any other); revoking twice keeps the first time."""
        key = self.store.get(key_id)
        if key is None or key.tenant_id != tenant_id:
            raise NotFoundError(f"no key {key_id!r}", details={"key_id": key_id})
        revoked = self.store.revoke(tenant_id, key_id, self.clock()) or key
        with self._lock:
            self._cache.pop(key_id, None)
        return revoked.public()

    def has_active(self, tenant_id: str, scope: str | None = None) -> bool:
        now = self.clock()
        return any(k.active(now) and (scope is None or scope in k.scopes) for k in self.store.list(tenant_id))

    def authenticate(self, token: str) -> Principal:
        """The principal of a live key; UnauthorizedError for anything else (one message for all:
        a caller learns nothing about which keys exist)."""
        key_id = parse_token(token)
        key = self._lookup(key_id) if key_id else None
        if key is None or not hmac.compare_digest(key.secret_hash, hash_token(token.strip())):
            raise UnauthorizedError("unknown, revoked or expired API key")
        if not key.active(self.clock()):
            with self._lock:
                self._cache.pop(key.key_id, None)
            raise UnauthorizedError("unknown, revoked or expired API key")
        return key.principal()

    def _lookup(self, key_id: str) -> ApiKey | None:
        now = time.monotonic()
        if self.cache_ttl_s > 0:
            with self._lock:
                hit = self._cache.get(key_id)
            if hit is not None and now - hit[0] < self.cache_ttl_s:
                return hit[1]
        key = self.store.get(key_id)
        if key is not None and self.cache_ttl_s > 0:
            with self._lock:
                if len(self._cache) > 10_000:  # a bound, not an LRU: live keys are few
                    self._cache.clear()
                self._cache[key_id] = (now, key)
        return key
