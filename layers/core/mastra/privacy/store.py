"""The privacy policy store contract: one policy per tenant (``sqlite.py``, ``dynamodb.py``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from mastra.privacy.policy import PrivacyPolicy


class PolicyStore(ABC):
    backend: ClassVar[str]

    @abstractmethod
    def get_policy(self, tenant_id: str) -> PrivacyPolicy | None:
        """The tenant's stored policy (None: never set, the default applies)."""

    @abstractmethod
    def put_policy(self, policy: PrivacyPolicy) -> None:
        """Store (replace) ``policy.tenant_id``'s policy."""

    @abstractmethod
    def delete_policy(self, tenant_id: str) -> None:
        """Back to the default."""


def open_policies(store: Any) -> PolicyStore:
    """The policy store on the turn store's own database or table."""
    if store.backend == "dynamodb":
        from mastra.privacy.dynamodb import DynamoDBPolicyStore

        return DynamoDBPolicyStore.sharing(store)
    from mastra.privacy.sqlite import SQLitePolicyStore

    return SQLitePolicyStore(store.db)
