"""The privacy service: each tenant's policy (cached for ``ttl_s``), applied to what enters and leaves.

``inbound`` is the user's text (a chat message, an edited message, a working-memory value, a
feedback comment) before anything stores, logs, emits or sends it; ``outbound`` is an answer
before it is stored or returned. Both apply the tenant's policy; a policy that cannot be read
(storage down) falls back to the default, which redacts everything: fail closed, never open.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from mastra.errors import MastraError
from mastra.privacy.policy import DEFAULT, PrivacyPolicy
from mastra.privacy.redact import Redaction, redact
from mastra.privacy.store import PolicyStore

log = logging.getLogger(__name__)


class PrivacyService:
    def __init__(self, store: PolicyStore, *, ttl_s: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, PrivacyPolicy]] = {}
        self._lock = threading.Lock()

    def policy(self, tenant_id: str) -> PrivacyPolicy:
        now = self.clock()
        with self._lock:
            hit = self._cache.get(tenant_id)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        try:
            stored = self.store.get_policy(tenant_id)
        except MastraError as exc:
            log.warning("privacy policy of %s unreadable (%s): redacting everything", tenant_id, exc.message)
            return DEFAULT.model_copy(update={"tenant_id": tenant_id})
        policy = stored or DEFAULT.model_copy(update={"tenant_id": tenant_id})
        with self._lock:
            self._cache[tenant_id] = (now, policy)
        return policy

    def set_policy(self, policy: PrivacyPolicy, *, actor: str | None = None) -> PrivacyPolicy:
        policy = policy.model_copy(update={"updated_at": self.clock(), "updated_by": actor})
        self.store.put_policy(policy)
        with self._lock:
            self._cache.pop(policy.tenant_id, None)
        return policy

    def reset(self, tenant_id: str) -> PrivacyPolicy:
        """Back to the default (redact everything)."""
        self.store.delete_policy(tenant_id)
        with self._lock:
            self._cache.pop(tenant_id, None)
        return self.policy(tenant_id)

    def apply(self, tenant_id: str, text: str) -> Redaction:
        return redact(text, self.policy(tenant_id))

    def inbound(self, tenant_id: str, text: str) -> str:
        """The user's text as it may be stored, logged, emitted and sent to a provider."""
        return self.apply(tenant_id, text).text

    def outbound(self, tenant_id: str, text: str) -> str:
        """An answer as it may be stored and returned."""
        return self.apply(tenant_id, text).text
