"""The privacy policy store: one contract, both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.contract.conftest import StoreFactory

from mastra.privacy import PrivacyPolicy, PrivacyService, open_policies
from mastra.privacy.store import PolicyStore
from mastra.storage import Store


@pytest.fixture
def policies(open_store: StoreFactory) -> Iterator[tuple[StoreFactory, PolicyStore]]:
    yield open_store, open_policies(open_store())


def test_a_policy_is_stored_replaced_and_deleted(policies: tuple[StoreFactory, PolicyStore]) -> None:
    open_store, store = policies
    assert store.get_policy("t1") is None
    store.put_policy(PrivacyPolicy(tenant_id="t1", modes={"EMAIL": "mask"}))
    store.put_policy(PrivacyPolicy(tenant_id="t1", default="mask", modes={"PHONE": "allow"}))
    reopened = open_policies(open_store())  # a restart reads the same data
    got = reopened.get_policy("t1")
    assert got is not None and got.default == "mask" and got.modes == {"PHONE": "allow"}
    reopened.delete_policy("t1")
    assert store.get_policy("t1") is None


def test_policies_belong_to_their_tenant(policies: tuple[StoreFactory, PolicyStore]) -> None:
    _, store = policies
    store.put_policy(PrivacyPolicy(tenant_id="t1", default="allow"))
    assert store.get_policy("t2") is None


def test_the_service_applies_the_tenants_policy_and_defaults_to_redact(store: Store) -> None:
    service = PrivacyService(open_policies(store), ttl_s=0)
    assert service.inbound("t1", "mail ana@example.org") == "mail [EMAIL]"
    service.set_policy(PrivacyPolicy(tenant_id="t1", modes={"EMAIL": "mask"}), actor="admin")
    assert service.inbound("t1", "mail ana@example.org") == "mail a***@example.org"
    assert service.inbound("t2", "mail ana@example.org") == "mail [EMAIL]"
    assert service.policy("t1").updated_by == "admin"


def test_an_unreadable_policy_fails_closed(store: Store) -> None:
    from mastra.errors import StorageError

    class Broken(PolicyStore):
        backend = "broken"

        def get_policy(self, tenant_id: str) -> PrivacyPolicy | None:
            raise StorageError("down")

        def put_policy(self, policy: PrivacyPolicy) -> None: ...

        def delete_policy(self, tenant_id: str) -> None: ...

    assert PrivacyService(Broken()).inbound("t1", "call +44 20 7946 0958") == "call [PHONE]"
