"""AWS clients: built on first use, then shared by the whole process.

Nothing creates a client at import time: Lambda runs module code in every cold start's INIT phase,
so import-time clients would make each function pay for clients it may never use (and could pin
a region or endpoint before settings or test fixtures act). Endpoints follow boto3's own
configuration, so ``AWS_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL_DYNAMODB`` ...) points every client
at LocalStack or a moto server with no code change.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[tuple[str, bool, float], Any] = {}


def _endpoint_configured(service: str) -> bool:
    key = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    return bool(os.environ.get("AWS_ENDPOINT_URL") or os.environ.get(key))


def client(service: str, *, retries: bool = True, read_timeout: float = 10.0) -> Any:
    """The process's client for ``service`` (thread-safe; boto3 clients are, sessions are not).

    ``retries=False`` is for calls that are not idempotent: a timed-out ``StartSyncExecution``
    may still be running, and retrying it would start the pipeline a second time.
    """
    key = (service, retries, read_timeout)
    found = _clients.get(key)
    if found is None:
        with _lock:
            found = _clients.get(key)
            if found is None:
                import boto3
                from botocore.config import Config

                config = Config(
                    retries={"mode": "standard", "total_max_attempts": 3 if retries else 1},
                    connect_timeout=3,
                    read_timeout=read_timeout,
                    # StartSyncExecution goes to a "sync-" host on AWS; LocalStack and moto serve one host.
                    inject_host_prefix=not _endpoint_configured(service),
                )
                session: Any = boto3.session.Session()  # Any: the stubs overload client() per service name
                found = _clients[key] = session.client(service, config=config)
    return found


def reset() -> None:
    """Forget every client (tests call this when they start or stop a mocked AWS)."""
    with _lock:
        _clients.clear()
