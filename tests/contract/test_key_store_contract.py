"""One contract for API keys on every backend (SQLite and DynamoDB under moto)."""

from __future__ import annotations

import pytest

from mastra.errors import ConflictError, InvalidRequestError, NotFoundError, UnauthorizedError
from mastra.security.keys import ApiKey, KeyService, hash_token, parse_token
from mastra.security.keys_store import KeyStore
from mastra.storage import Store


def key_store(store: Store) -> KeyStore:
    if store.backend == "dynamodb":
        from mastra.security.keys_dynamodb import DynamoDBKeyStore

        return DynamoDBKeyStore.sharing(store)  # type: ignore[arg-type]
    from mastra.security.keys_sqlite import SQLiteKeyStore

    return SQLiteKeyStore(store.db)  # type: ignore[attr-defined]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(store: Store, clock: Clock) -> KeyService:
    return KeyService(key_store(store), cache_ttl_s=0, clock=clock)


def test_a_created_key_authenticates_and_only_its_hash_is_stored(keys: KeyService, store: Store) -> None:
    created = keys.create("acme", "ci", ["chat", "feedback"], rate_per_s=2.5, burst=10)
    assert created.key.startswith("mk_") and parse_token(created.key) == created.key_id
    stored = keys.store.get(created.key_id)
    assert stored is not None and stored.secret_hash == hash_token(created.key)
    assert created.key not in stored.model_dump_json()  # the secret itself is nowhere
    p = keys.authenticate(created.key)
    assert (p.tenant_id, p.key_id, p.via, p.rate_per_s, p.burst) == ("acme", created.key_id, "api_key", 2.5, 10)
    assert p.scopes == {"chat", "feedback"} and p.allows("chat") and not p.allows("admin")


def test_listing_is_per_tenant_and_never_shows_a_secret(keys: KeyService, clock: Clock) -> None:
    a1 = keys.create("acme", "one", ["admin"])
    clock.now += 1
    a2 = keys.create("acme", "two", ["stats"])
    b1 = keys.create("beta", "one", ["admin"])
    listed = keys.list("acme")
    assert [k.key_id for k in listed] == [a1.key_id, a2.key_id]
    assert all("key" not in k.model_dump() and "secret_hash" not in k.model_dump() for k in listed)
    assert [k.key_id for k in keys.list("beta")] == [b1.key_id]
    assert keys.list("nobody") == []


def test_a_revoked_key_is_refused_at_once_and_revoking_is_per_tenant(keys: KeyService, clock: Clock) -> None:
    a = keys.create("acme", "one", ["admin"])
    with pytest.raises(NotFoundError):
        keys.revoke("beta", a.key_id)  # another tenant cannot see, let alone revoke, it
    keys.authenticate(a.key)
    clock.now += 5
    revoked = keys.revoke("acme", a.key_id)
    assert revoked.revoked_at == clock.now
    with pytest.raises(UnauthorizedError):
        keys.authenticate(a.key)
    clock.now += 5
    assert keys.revoke("acme", a.key_id).revoked_at == revoked.revoked_at  # the first revocation stands
    with pytest.raises(NotFoundError):
        keys.revoke("acme", "0123456789abcdef")
    assert not keys.has_active("acme") and keys.list("acme")[0].revoked_at == revoked.revoked_at


def test_expiry_wrong_secrets_and_malformed_tokens_are_refused(keys: KeyService, clock: Clock) -> None:
    k = keys.create("acme", "temp", ["chat"], expires_at=clock.now + 60)
    keys.authenticate(k.key)
    forged = k.key[:-4] + ("AAAA" if not k.key.endswith("AAAA") else "BBBB")  # right id, wrong secret
    for token in (forged, "mk_0123456789abcdef_" + "a" * 43, "not-a-key", "", "mk_" + k.key_id):
        with pytest.raises(UnauthorizedError):
            keys.authenticate(token)
    clock.now += 61
    with pytest.raises(UnauthorizedError):
        keys.authenticate(k.key)
    with pytest.raises(InvalidRequestError):
        keys.create("acme", "past", ["chat"], expires_at=clock.now - 1)
    with pytest.raises(InvalidRequestError):
        keys.create("acme", "bad", ["root"])


def test_a_key_id_is_never_reused(keys: KeyService) -> None:
    k = keys.store.get(keys.create("acme", "one", ["chat"]).key_id)
    assert k is not None
    with pytest.raises(ConflictError):
        keys.store.put(ApiKey.model_validate({**k.model_dump(), "tenant_id": "beta"}))
    stored = keys.store.get(k.key_id)
    assert stored is not None and stored.tenant_id == "acme"


def test_the_cache_lets_a_revocation_elsewhere_through_for_at_most_its_ttl(store: Store, clock: Clock) -> None:
    import time

    here = KeyService(key_store(store), cache_ttl_s=0.3, clock=clock)
    elsewhere = KeyService(key_store(store), cache_ttl_s=0, clock=clock)  # another process
    k = here.create("acme", "one", ["chat"])
    here.authenticate(k.key)  # cached now
    elsewhere.revoke("acme", k.key_id)
    started = time.monotonic()
    while True:
        try:
            here.authenticate(k.key)
        except UnauthorizedError:
            break
        assert time.monotonic() - started < 0.3 + 0.5, "a revoked key outlived the cache TTL"
        time.sleep(0.02)
    # In the revoking process itself, revocation is immediate.
    k2 = here.create("acme", "two", ["chat"])
    here.authenticate(k2.key)
    here.revoke("acme", k2.key_id)
    with pytest.raises(UnauthorizedError):
        here.authenticate(k2.key)
