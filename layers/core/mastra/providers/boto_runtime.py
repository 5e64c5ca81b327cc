"""Providers over a boto3 runtime client (Bedrock, SageMaker endpoints).

botocore has no per-call timeout, so such a provider keeps one client per whole second of read
timeout (agents have fixed budgets, so there are few), each built once and reused. boto3 is
imported here, and this module only when an agent uses one of these providers.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import boto3
from botocore.config import Config

from mastra.providers.base import SDKProvider


class BotoRuntimeProvider(SDKProvider):
    """A provider whose model is called through the boto3 client of ``service``."""

    service: ClassVar[str]
    #: Seconds to open a connection; AWS endpoints answer this fast or not at all.
    connect_timeout_s: ClassVar[float] = 5.0
    #: Longest wait for a reply; each call waits at most the agent's remaining budget.
    read_timeout_s: ClassVar[float]

    def __init__(self, region: str | None = None, client: Any | None = None, *, max_attempts: int = 1) -> None:
        super().__init__(client)
        self.region = region
        self.max_attempts = max_attempts
        self._injected = client is not None
        self._by_timeout: dict[int, Any] = {}

    def build_client(self, read_timeout_s: float | None = None) -> Any:
        """A client of ``service`` that waits at most ``read_timeout_s`` for a reply."""
        config = Config(
            connect_timeout=self.connect_timeout_s,
            read_timeout=read_timeout_s or self.read_timeout_s,
            # total_max_attempts counts the first call; botocore's "max_attempts" key
            # counts only retries, so it would make one attempt more than asked.
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
        )
        # A session of our own: boto3's default session is not safe to share across threads.
        session: Any = boto3.session.Session(region_name=self.region)  # Any: the stubs type clients per literal name
        return session.client(self.service, config=config)

    def client_for(self, timeout_s: float) -> Any:
        """A client whose read timeout fits ``timeout_s`` (an injected client is used as it is)."""
        if self._injected:
            return self.client
        seconds = max(1, math.ceil(min(timeout_s, self.read_timeout_s)))
        client = self._by_timeout.get(seconds)
        if client is None:
            with self._client_lock:
                client = self._by_timeout.get(seconds) or self.build_client(float(seconds))
                self._by_timeout[seconds] = client
        return client
