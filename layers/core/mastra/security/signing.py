"""HMAC signatures for what Mastra sends to other systems (HTTP agents, callbacks) and receives.

The header is ``Mastra-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (Stripe's
scheme): the timestamp is signed with the body, so a captured request cannot be replayed after
``tolerance_s``. The standard library does this in a few lines; no dependency is worth it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Mastra-Signature"
DEFAULT_TOLERANCE_S = 300.0


def signature(secret: bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, *, now: float | None = None) -> str:
    """The header value for ``body``."""
    t = int(time.time() if now is None else now)
    return f"t={t},v1={signature(secret, body, t)}"


def verify(
    secret: bytes, body: bytes, header: str, *, tolerance_s: float = DEFAULT_TOLERANCE_S, now: float | None = None
) -> bool:
    """True if ``header`` signs ``body`` with ``secret`` and is no older (or newer) than ``tolerance_s``."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - t) > tolerance_s:
        return False
    return hmac.compare_digest(given, signature(secret, body, t))
