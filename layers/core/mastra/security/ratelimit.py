"""Rate limiting per credential: a token bucket per (tenant, actor), kept in the store.

The bucket math here is pure (``take``); the state lives in a ``RateLimitStore`` (SQLite locally,
one DynamoDB item per bucket on AWS) so the limit holds across processes and Lambda instances.

A bucket holds at most ``burst`` tokens and gains ``rate_per_s`` a second; a request spends one.
An empty bucket refuses with the time until the next token (``Retry-After``). A bucket nobody used
for ``burst / rate_per_s`` seconds is full again, so a store may forget it after that (TTL).

If the store cannot be read or written, the limiter *fails open* by default (admits, logs a
warning, counts ``RateLimitStoreErrors``): the caller has already authenticated, the limit
protects capacity rather than data, and failing closed would turn a blip of the limiter's store
into an outage of every endpoint. ``MASTRA_RATE_LIMIT_FAIL_OPEN=false`` refuses instead (503).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mastra.errors import RateLimitedError, StorageError

if TYPE_CHECKING:
    from mastra.security.principal import Principal
    from mastra.security.ratelimit_store import RateLimitStore
    from mastra.settings import Settings

log = logging.getLogger("mastra.ratelimit")


@dataclass(frozen=True)
class Limits:
    """A bucket's shape: ``rate_per_s`` tokens a second, at most ``burst`` held."""

    rate_per_s: float
    burst: int

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0 and self.burst > 0

    @property
    def refill_s(self) -> float:
        """Seconds an empty bucket takes to fill: after that an unused bucket equals a new one."""
        return self.burst / self.rate_per_s


@dataclass(frozen=True)
class Bucket:
    tokens: float
    updated_at: float


@dataclass(frozen=True)
class Decision:
    admitted: bool
    bucket: Bucket
    retry_after_s: float = 0.0  # when refused: seconds until a token is free

    @property
    def remaining(self) -> int:
        return int(self.bucket.tokens)


def take(bucket: Bucket | None, limits: Limits, now: float, cost: float = 1.0) -> Decision:
    """Refill ``bucket`` (None: a new, full one) up to ``now`` and spend ``cost`` tokens if it holds them.

    A clock behind the bucket's (another instance's clock ran ahead) refills nothing and keeps the
    later time, so skew never mints tokens.
    """
    if bucket is None:
        tokens, at = float(limits.burst), now
    else:
        at = max(bucket.updated_at, now)
        tokens = min(float(limits.burst), bucket.tokens + max(0.0, now - bucket.updated_at) * limits.rate_per_s)
    if tokens >= cost:
        return Decision(True, Bucket(tokens - cost, at))
    return Decision(False, Bucket(tokens, at), retry_after_s=(cost - tokens) / limits.rate_per_s)


def limits_for(principal: Principal, settings: Settings) -> Limits:
    """The key's own rate and burst where it sets them, else the deployment's defaults."""
    rate = principal.rate_per_s if principal.rate_per_s is not None else settings.rate_per_s
    burst = principal.burst if principal.burst is not None else settings.rate_burst
    return Limits(rate_per_s=float(rate), burst=int(burst))


def _count_store_error() -> None:
    """Add to the API function's Powertools metrics (flushed by its handler); nothing off Lambda."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return
    from aws_lambda_powertools import Metrics

    from mastra.stats.metrics import NAMESPACE, RATE_LIMIT_STORE_ERRORS, SERVICE

    Metrics(namespace=NAMESPACE, service=SERVICE).add_metric(name=RATE_LIMIT_STORE_ERRORS, unit="Count", value=1)


class RateLimiter:
    """Checks a principal against its bucket; raises ``RateLimitedError`` (429) when it is empty."""

    def __init__(
        self,
        store: RateLimitStore,
        settings: Settings,
        *,
        clock: Callable[[], float] | None = None,
        on_store_error: Callable[[], None] = _count_store_error,
    ) -> None:
        import time

        self.store = store
        self.settings = settings
        self.clock = clock or time.time
        self.on_store_error = on_store_error
        self.store_errors = 0

    def check(self, principal: Principal) -> Decision | None:
        """Spend one of the caller's tokens. None: no limit applies (rate 0) or the store failed open."""
        limits = limits_for(principal, self.settings)
        if not limits.enabled:
            return None
        try:
            decision = self.store.take(principal.tenant_id, principal.actor, limits, self.clock())
        except StorageError as exc:
            self.store_errors += 1
            self.on_store_error()
            if not self.settings.rate_limit_fail_open:
                raise
            log.warning("rate limit not enforced: its store failed (%s)", exc.message)
            return None
        if not decision.admitted:
            raise RateLimitedError(
                f"rate limit of {limits.rate_per_s:g}/s (burst {limits.burst}) exceeded; retry later",
                retry_after_s=decision.retry_after_s,
                details={"rate_per_s": limits.rate_per_s, "burst": limits.burst},
            )
        return decision
