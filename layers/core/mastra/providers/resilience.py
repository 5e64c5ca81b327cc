"""Retries with backoff on throttling, and an agent's fallback chain of models.

Both wrap providers behind the same :class:`~mastra.providers.base.ModelProvider` interface, so
the agent loop does not know whether one model answers or the third of a chain. Every wait is
bounded by the request's ``timeout_s`` (the agent's remaining budget): a retry that could not
finish in time is not started. ``sleep``, ``clock`` and ``rng`` are injectable so tests prove the
attempt counts and delays without waiting.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from mastra.errors import MastraError, ProviderError, ProviderThrottledError, StepTimeoutError
from mastra.providers.base import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    ModelProvider,
    ProviderFailure,
)
from mastra.spec.models import ModelTarget, RetrySettings

T = TypeVar("T")
Sleep = Callable[[float], None]
Clock = Callable[[], float]

OFFLINE = ModelTarget(provider="retrieval", model_id="tfidf-v1")
#: Never start an attempt with less than this left of the budget: it could not finish.
MIN_ATTEMPT_S = 0.05


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (AWS's recommendation): attempt n waits a uniform
    random time in ``[0, min(max_delay_s, base_delay_s * 2**(n-1))]``."""

    max_attempts: int = 3
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0

    @classmethod
    def from_settings(cls, settings: RetrySettings) -> RetryPolicy:
        return cls(settings.max_attempts, settings.base_delay_s, settings.max_delay_s)

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1 = the second attempt)."""
        return float(min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry - 1)))

    def delay(self, retry: int, rng: random.Random) -> float:
        return rng.uniform(0.0, self.ceiling(retry))


def call_with_retries(
    call: Callable[[float], T],
    policy: RetryPolicy,
    *,
    budget_s: float,
    retryable: Callable[[Exception], bool] = lambda exc: isinstance(exc, ProviderThrottledError),
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    rng: random.Random | None = None,
) -> T:
    """``call(remaining_s)`` until it succeeds, retrying ``retryable`` errors with backoff.

    Stops at ``policy.max_attempts`` or when the next wait would leave less than
    :data:`MIN_ATTEMPT_S` of ``budget_s``; the last error is raised with ``details["attempts"]``
    set when it is a :class:`~mastra.errors.MastraError`. A ``retry_after_s`` in the error's
    details (a server's Retry-After) lengthens the wait.
    """
    rng = rng or random.Random()
    deadline = clock() + budget_s
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(max(deadline - clock(), MIN_ATTEMPT_S))
        except Exception as exc:
            if not retryable(exc) or attempt >= policy.max_attempts:
                _note_attempts(exc, attempt)
                raise
            wait = policy.delay(attempt, rng)
            if isinstance(exc, MastraError):
                wait = max(wait, float(exc.details.get("retry_after_s") or 0.0))
            if clock() + wait + MIN_ATTEMPT_S > deadline:
                _note_attempts(exc, attempt)
                raise
            sleep(wait)


def _note_attempts(exc: Exception, attempts: int) -> None:
    if isinstance(exc, MastraError):
        exc.details["attempts"] = attempts


class RetryingProvider(ModelProvider):
    """``inner`` with retries on :class:`~mastra.errors.ProviderThrottledError`, within the request's
    ``timeout_s`` (each attempt gets what is left of it)."""

    def __init__(
        self,
        inner: ModelProvider,
        policy: RetryPolicy,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.name = inner.name  # type: ignore[misc]
        self.uses_system_prompt = inner.uses_system_prompt  # type: ignore[misc]

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        return call_with_retries(
            lambda remaining: self.inner.complete(request.model_copy(update={"timeout_s": remaining})),
            self.policy,
            budget_s=request.timeout_s,
            sleep=self.sleep,
            clock=self.clock,
            rng=self.rng,
        )


@dataclass(frozen=True)
class ChainLink:
    """One model of a fallback chain: the provider and the settings it is called with."""

    provider: ModelProvider
    target: ModelTarget


class FallbackProvider(ModelProvider):
    """Tries each model of the chain in order; a provider error, timeout or throttling (after its
    retries) moves on to the next. ``offline`` answers when every model failed: the agent's
    retrieval model (its knowledge base, or its no_answer text).

    The response says which provider answered and why the ones before it failed. Each round of
    the agent loop starts again at the head of the chain: a model that failed once may answer the
    next round (throttling passes).
    """

    name = "fallback"

    def __init__(self, chain: list[ChainLink], offline: ModelProvider | None, *, clock: Clock = time.monotonic):
        if not chain:
            raise ValueError("a fallback chain needs at least one model")
        self.chain = chain
        self.offline = offline
        self.clock = clock
        self.name = chain[0].provider.name  # type: ignore[misc]
        # The system prompt is rendered if any model of the chain reads it.
        self.uses_system_prompt = any(link.provider.uses_system_prompt for link in chain)  # type: ignore[misc]

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        deadline = self.clock() + request.timeout_s
        failures: list[ProviderFailure] = []
        last: MastraError | None = None
        for index, link in enumerate(self.chain):
            remaining = deadline - self.clock()
            if remaining < MIN_ATTEMPT_S:
                failures.append(_failure(link, StepTimeoutError("no time left in the agent's budget"), 0))
                continue
            # The head model keeps the agent's settings (a prompt version may override them).
            settings = request.settings if index == 0 else link.target
            try:
                response = link.provider.complete(
                    request.model_copy(update={"settings": settings, "timeout_s": remaining})
                )
            except (ProviderError, StepTimeoutError) as exc:
                failures.append(_failure(link, exc, int(exc.details.get("attempts", 1))))
                last = exc
                continue
            return response.model_copy(update={"provider": link.provider.name, "failures": failures})
        if self.offline is None:
            assert last is not None or failures
            raise last or StepTimeoutError("no time left in the agent's budget", details={"failures": len(failures)})
        # The offline model's own settings, so the trace does not credit its answer to the head model.
        offline = self.offline.complete(request.model_copy(update={"system": None, "settings": OFFLINE}))
        return offline.model_copy(update={"provider": self.offline.name, "failures": failures})


def _failure(link: ChainLink, exc: MastraError, attempts: int) -> ProviderFailure:
    return ProviderFailure(
        provider=link.provider.name,
        model_id=link.target.model_id,
        error=exc.code,
        message=exc.message[:300],
        attempts=attempts,
    )


class NoAnswerProvider(ModelProvider):
    """The offline answer of an agent without a knowledge base: its ``no_answer`` text."""

    name = "no_answer"
    uses_system_prompt = False

    def __init__(self, text: str) -> None:
        self.text = text

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        return CompletionResponse(
            message=ChatMessage(role="assistant", content=self.text), stop_reason="no_match", model_id="offline"
        )
