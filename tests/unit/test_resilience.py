"""Retries with backoff (an injected clock and sleep: nothing waits) and the fallback chain."""

from __future__ import annotations

import random
from typing import Any

import pytest

from mastra.errors import ProviderError, ProviderThrottledError, StepTimeoutError
from mastra.providers.base import ChatMessage, CompletionRequest, CompletionResponse, ModelProvider
from mastra.providers.fake import FakeProvider
from mastra.providers.resilience import (
    ChainLink,
    FallbackProvider,
    NoAnswerProvider,
    RetryingProvider,
    RetryPolicy,
    call_with_retries,
)
from mastra.spec.models import ModelSettings, ModelTarget


class FakeTime:
    """A clock that only moves when something sleeps (or a call takes ``cost_s``)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Flaky(ModelProvider):
    """Raises the scripted errors in order, then answers; records each call's timeout."""

    name = "flaky"

    def __init__(self, errors: list[Exception], time: FakeTime | None = None, cost_s: float = 0.0) -> None:
        self.errors = list(errors)
        self.timeouts: list[float] = []
        self.time = time
        self.cost_s = cost_s

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        self.timeouts.append(request.timeout_s)
        if self.time is not None:
            self.time.now += self.cost_s
        if self.errors:
            raise self.errors.pop(0)
        return CompletionResponse(
            message=ChatMessage(role="assistant", content="ok"), model_id=request.settings.model_id
        )


def throttled() -> ProviderThrottledError:
    return ProviderThrottledError("429 slow down")


def req(timeout_s: float = 10.0) -> CompletionRequest:
    return CompletionRequest(
        messages=[ChatMessage(role="user", content="hi")],
        settings=ModelSettings(provider="openai", model_id="primary"),
        timeout_s=timeout_s,
    )


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay_s=0.5, max_delay_s=3.0)
    assert [policy.ceiling(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    rng = random.Random(7)
    delays = [policy.delay(2, rng) for _ in range(2000)]
    assert 0.0 <= min(delays) < 0.05 and 0.95 < max(delays) <= 1.0  # uniform over [0, ceiling]
    assert 0.45 < sum(delays) / len(delays) < 0.55


def test_throttling_is_retried_with_backoff_until_success() -> None:
    time = FakeTime()
    inner = Flaky([throttled(), throttled()])
    provider = RetryingProvider(
        inner, RetryPolicy(3, 1.0, 8.0), sleep=time.sleep, clock=time.clock, rng=random.Random(1)
    )
    assert provider.complete(req()).message.content == "ok"
    assert len(inner.timeouts) == 3
    assert len(time.sleeps) == 2
    assert 0 <= time.sleeps[0] <= 1.0 and 0 <= time.sleeps[1] <= 2.0
    # Each attempt gets only what is left of the budget.
    assert inner.timeouts[0] == 10.0 and inner.timeouts[2] == pytest.approx(10.0 - sum(time.sleeps))


def test_attempts_stop_at_max_and_the_error_says_how_many() -> None:
    time = FakeTime()
    inner = Flaky([throttled() for _ in range(5)])
    provider = RetryingProvider(inner, RetryPolicy(3, 0.1, 1.0), sleep=time.sleep, clock=time.clock)
    with pytest.raises(ProviderThrottledError) as info:
        provider.complete(req())
    assert len(inner.timeouts) == 3 and len(time.sleeps) == 2
    assert info.value.details["attempts"] == 3


@pytest.mark.parametrize("error", [ProviderError("400 bad request"), StepTimeoutError("too slow")])
def test_other_errors_are_not_retried(error: Exception) -> None:
    time = FakeTime()
    inner = Flaky([error])
    provider = RetryingProvider(inner, RetryPolicy(5, 0.1, 1.0), sleep=time.sleep, clock=time.clock)
    with pytest.raises(type(error)):
        provider.complete(req())
    assert len(inner.timeouts) == 1 and time.sleeps == []


def test_retries_never_outrun_the_time_budget() -> None:
    time = FakeTime()
    # Each call takes 1 s; backoff ceilings 2, 4, 8... with a 4 s budget at most a few attempts fit.
    inner = Flaky([throttled() for _ in range(10)], time, cost_s=1.0)
    provider = RetryingProvider(
        inner, RetryPolicy(10, 2.0, 8.0), sleep=time.sleep, clock=time.clock, rng=random.Random(3)
    )
    with pytest.raises(ProviderThrottledError) as info:
        provider.complete(req(timeout_s=4.0))
    assert time.now - 1000.0 <= 4.0  # no wait or attempt started past the deadline
    assert info.value.details["attempts"] == len(inner.timeouts) < 10


def test_retry_after_lengthens_the_wait() -> None:
    time = FakeTime()
    calls: list[float] = []

    def call(remaining: float) -> str:
        calls.append(remaining)
        if len(calls) == 1:
            raise ProviderThrottledError("429", details={"retry_after_s": 3.0})
        return "done"

    assert call_with_retries(call, RetryPolicy(3, 0.1, 0.2), budget_s=10, sleep=time.sleep, clock=time.clock) == "done"
    assert time.sleeps == [3.0]


def chain(*providers: tuple[ModelProvider, str]) -> list[ChainLink]:
    return [ChainLink(p, ModelTarget(provider="fake", model_id=model_id)) for p, model_id in providers]


def test_fallback_chain_tries_models_in_order_and_records_why_they_failed() -> None:
    first = Flaky([ProviderThrottledError("bedrock ThrottlingException", details={"attempts": 3})])
    second = Flaky([StepTimeoutError("no answer within 2 s")])
    third = Flaky([])
    provider = FallbackProvider(chain((first, "primary"), (second, "cheaper"), (third, "cheapest")), offline=None)
    response = provider.complete(req())
    assert response.message.content == "ok"
    assert response.model_id == "cheapest"  # the fallback's own settings
    assert response.provider == "flaky"
    assert [(f.model_id, f.error, f.attempts) for f in response.failures] == [
        ("primary", "provider_throttled", 3),
        ("cheaper", "timeout", 1),
    ]
    assert "ThrottlingException" in response.failures[0].message


def test_head_model_keeps_the_agents_settings() -> None:
    head = Flaky([])
    response = FallbackProvider(chain((head, "ignored")), offline=None).complete(req())
    assert response.model_id == "primary" and response.failures == []


def test_every_model_failing_ends_in_the_offline_answer() -> None:
    failing = FakeProvider(error=ProviderError("HTTP 401: bad key"))
    provider = FallbackProvider(chain((failing, "primary")), offline=NoAnswerProvider("I can't answer now."))
    response = provider.complete(req())
    assert response.message.content == "I can't answer now."
    assert response.stop_reason == "no_match" and response.provider == "no_answer"
    assert response.failures[0].error == "provider_error"


def test_without_an_offline_answer_the_last_error_is_raised() -> None:
    provider = FallbackProvider(
        chain((FakeProvider(error=ProviderError("a")), "m1"), (FakeProvider(error=throttled()), "m2")), offline=None
    )
    with pytest.raises(ProviderThrottledError):
        provider.complete(req())


def test_a_fallback_gets_only_the_remaining_budget() -> None:
    time = FakeTime()
    slow = Flaky([StepTimeoutError("slow")], time, cost_s=7.0)
    second = Flaky([], time)
    provider = FallbackProvider(chain((slow, "a"), (second, "b")), offline=None, clock=time.clock)
    provider.complete(req(timeout_s=10.0))
    assert second.timeouts == [pytest.approx(3.0)]


def test_unexpected_errors_are_not_swallowed() -> None:
    class Broken(ModelProvider):
        name = "broken"

        def complete(self, request: CompletionRequest) -> Any:
            raise RuntimeError("bug")

    provider = FallbackProvider(chain((Broken(), "a")), offline=NoAnswerProvider("x"))
    with pytest.raises(RuntimeError):
        provider.complete(req())
