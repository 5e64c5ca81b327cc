"""The repair loop, the answer cache, the governors and the statistics-driven shortcuts, end to end
through the local state machine (the same ASL document Step Functions runs)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.apiclient import api_client

from mastra.errors import BudgetExceededError
from mastra.models import ChatRequest
from mastra.optimisation import AgentStats, adaptive_timeout, cache_key, normalise_request
from mastra.pipeline import MAX_ATTEMPTS, STEPS, definition, resource
from mastra.providers import CompletionRequest, CompletionResponse, ModelProvider
from mastra.providers.retrieval import RetrievalProvider
from mastra.reflection import Reflection
from mastra.runtime import Runtime
from mastra.settings import Settings
from mastra.workflow import LocalStateMachine

MESSAGE = "how do i transfer money to my savings account"
LEAK = " If that fails, write to jane.doe@bank.example.com."


def ask(rt: Runtime, message: str = MESSAGE, **kw: Any):  # type: ignore[no-untyped-def]
    return rt.chat(ChatRequest(message=message, user_id=kw.pop("user_id", "alice"), **kw))


def configure(rt: Runtime, **settings: Any) -> None:
    rt.settings = rt.settings.model_copy(update=settings)


class Leaky(ModelProvider):
    """Wraps an agent's real provider: leaks an email unless a critique asks it not to."""

    name = "leaky"

    def __init__(self, real: ModelProvider, calls: list[Any]) -> None:
        self.real, self.calls = real, calls

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        self.calls.append(request.critique)
        response = self.real.complete(request)
        if request.critique is None and response.message.content:
            response.message.content += LEAK
        return response


def leaky(rt: Runtime, agent: str = "banking") -> list[Any]:
    calls: list[Any] = []
    real = rt.providers
    wrapped: dict[str, ModelProvider] = {}

    def for_agent(spec: Any) -> ModelProvider:
        if spec.id != agent:
            return real(spec)
        return wrapped.setdefault(spec.id, Leaky(real(spec), calls))

    rt.__dict__["providers"] = for_agent
    rt.__dict__.pop("executor", None)
    return calls


def test_an_unsafe_answer_is_repaired_by_the_same_agent_with_the_critique(runtime: Runtime) -> None:
    calls = leaky(runtime)
    r = ask(runtime)
    assert r.agent == "banking" and "@" not in r.answer
    assert [(a.agent_id, a.action, a.verdict) for a in r.attempts] == [
        ("banking", "answer", "repair"),
        ("banking", "repair", "accept"),
    ]
    assert calls[0] is None and calls[1] is not None and calls[1].redact
    assert r.attempts[1].critique and "personal data" in r.attempts[1].critique
    first = r.trace.reflections[0]
    assert first.findings == ["email"] and first.score == 0.0 and "email" in first.reasons["safety"]
    assert r.reflection.kept_attempt == 2 and r.reflection.attempts == 2
    assert r.attempts[0].elapsed_ms > 0 and r.attempts[0].reasons["safety"].startswith("leaks email")


def test_a_leak_is_never_returned_as_is_even_without_budget(runtime: Runtime) -> None:
    leaky(runtime)
    configure(runtime, max_attempts=1)
    r = ask(runtime)
    assert len(r.attempts) == 1 and "jane.doe" not in r.answer and "[redacted email]" in r.answer
    assert "leaks redacted" in r.reflection.reason
    # The stored turn has the redacted answer too.
    stored = runtime.store.recent_messages("default", r.thread_id, 10)
    assert all("jane.doe" not in m.content for m in stored)


def test_an_upset_user_gets_a_calm_answer_after_a_tone_repair(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RetrievalProvider.complete

    def cheerful(self: RetrievalProvider, request: CompletionRequest) -> CompletionResponse:
        response = real(self, request)
        if request.critique is None and response.sources:
            response.message.content += " Easy peasy!! :)"
        return response

    monkeypatch.setattr(RetrievalProvider, "complete", cheerful)
    r = ask(runtime, "this is ridiculous, I am so angry, how do i transfer money to my savings account")
    assert r.sentiment.label == "negative"
    assert [a.action for a in r.attempts] == ["answer", "repair"]
    assert r.trace.reflections[0].signals["tone"] < 0.5 and "upset" in r.trace.reflections[0].reasons["tone"]
    assert r.answer.startswith("I'm sorry") and "!!" not in r.answer and "peasy" not in r.answer


class Nothing(ModelProvider):
    name = "nothing"

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        from mastra.providers import ChatMessage

        self.calls += 1
        return CompletionResponse(message=ChatMessage(role="assistant", content="hmm?"), stop_reason="no_match")


def test_the_loop_stops_at_the_attempt_budget(runtime: Runtime) -> None:
    nothing = Nothing()
    runtime.__dict__["providers"] = lambda spec: nothing
    runtime.__dict__.pop("executor", None)
    runtime.reflector.retry_min_confidence = 0.0
    for budget in (1, 2, 3):
        configure(runtime, max_attempts=budget)
        before = nothing.calls
        r = ask(runtime)
        assert len(r.attempts) == budget and nothing.calls - before == budget
        assert [a.attempt for a in r.attempts] == list(range(1, budget + 1))
    assert "attempts budget is spent" in r.trace.reflections[-1].reason


def test_the_loop_stops_at_the_time_budget(runtime: Runtime) -> None:
    nothing = Nothing()
    runtime.__dict__["providers"] = lambda spec: nothing
    runtime.__dict__.pop("executor", None)
    runtime.reflector.retry_min_confidence = 0.0
    configure(runtime, request_budget_ms=0.001)
    r = ask(runtime)
    assert len(r.attempts) == 1 and "time budget is spent" in r.reflection.reason


def test_a_reflector_that_always_asks_again_cannot_run_away(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    def always(*args: Any, **kwargs: Any) -> Reflection:
        return Reflection(verdict="repair", score=0.1, reason="never satisfied", retry_agent_id="banking")

    monkeypatch.setattr(runtime.reflector, "reflect", always)
    configure(runtime, max_attempts=4)
    r = ask(runtime)
    assert len(r.attempts) == 4 and "budget is spent" in r.trace.reflections[-1].reason


def test_the_state_machine_itself_refuses_more_than_max_attempts() -> None:
    # Even if the reflect step never stopped, the Choice would: attempts above MAX_ATTEMPTS never start.
    runs: list[int] = []

    def execute(event: dict[str, Any]) -> dict[str, Any]:
        runs.append(event["attempt"])
        return {"fast_path": None, "attempt": event["attempt"]}

    def reflect(event: dict[str, Any]) -> dict[str, Any]:
        n = len(event["history"]) + 1
        return {
            "verdict": "retry",
            "retry_agent_id": "x",
            "critique": None,
            "next_attempt": n + 1,
            "history": [*event["history"], n],
        }

    resources = {resource(name): (lambda e: {}) for name in STEPS}
    resources[resource("select_agent")] = lambda e: {"selection": {"agent_id": "x", "confidence": 1}, "encoding": None}
    resources[resource("analyze_sentiment")] = lambda e: {"label": "neutral"}
    resources[resource("execute_agent")] = execute
    resources[resource("reflect")] = reflect
    resources[resource("remember")] = lambda e: {"attempts": len(e["reflection"]["history"])}
    out = LocalStateMachine(definition(), resources).run({"request": {}})
    assert runs == list(range(1, MAX_ATTEMPTS + 1)) and out == {"attempts": MAX_ATTEMPTS}


# ---- the answer cache ----------------------------------------------------------------------------------
def test_a_repeated_request_is_answered_from_the_cache(runtime: Runtime) -> None:
    first = ask(runtime, "How do I transfer money to my savings account?")
    second = ask(runtime, "  how do i TRANSFER money to my savings account ", user_id="bob")
    one, two = first.trace.executions[0], second.trace.executions[0]
    assert one.cache is not None and not one.cache.hit and one.cache.key
    assert two.cache is not None and two.cache.hit and two.cache.key == one.cache.key
    assert second.answer == first.answer and second.agent == first.agent
    assert second.reflection.skipped and "cached answer" in second.reflection.reason
    assert second.trace.reflections[0].skipped and second.timings_ms["reflect"] == 0
    assert normalise_request("How do I X?") == normalise_request("how do i x")
    assert cache_key("t1", "banking", "banking@1", "x") != cache_key("t2", "banking", "banking@1", "x")


def test_the_cache_expires(runtime: Runtime) -> None:
    configure(runtime, answer_cache_ttl_s=0.000001)
    ask(runtime)
    assert not ask(runtime).trace.executions[0].cache.hit  # type: ignore[union-attr]
    configure(runtime, answer_cache_ttl_s=0)
    assert ask(runtime).trace.executions[0].cache is None  # off


def test_personalised_answers_bypass_the_cache(runtime: Runtime) -> None:
    # An agent with working memory (kitchen_and_dining keeps the user's diet).
    r = ask(runtime, "how long should i boil an egg")
    assert r.agent == "kitchen_and_dining"
    assert r.trace.executions[0].cache.bypass == "the agent keeps working memory"  # type: ignore[union-attr]
    # A continued thread: the answer depends on its history.
    first = ask(runtime)
    again = ask(runtime, thread_id=first.thread_id)
    assert again.trace.executions[0].cache.bypass == "the thread's history is in the context"  # type: ignore[union-attr]


def test_answers_from_time_or_chance_tools_are_not_cached(runtime: Runtime) -> None:
    first = ask(runtime, "what time is it in tokyo")
    assert [c.name for c in first.trace.executions[0].tool_calls] == ["clock"]
    second = ask(runtime, "what time is it in tokyo", user_id="bob")
    assert not second.trace.executions[0].cache.hit  # type: ignore[union-attr]


def test_an_upset_user_is_not_served_from_the_cache(runtime: Runtime) -> None:
    angry = "this is ridiculous, I am so angry, how do i transfer money to my savings account"
    ask(runtime, angry)
    r = ask(runtime, angry, user_id="bob")
    assert r.trace.executions[0].cache.bypass.startswith("the user is upset")  # type: ignore[union-attr]
    assert not r.reflection.skipped


def test_a_repair_is_never_cached_and_never_served_from_the_cache(runtime: Runtime) -> None:
    leaky(runtime)
    r = ask(runtime)
    repair = r.trace.executions[1]
    assert repair.cache is not None and repair.cache.bypass == "a repair attempt"


# ---- governors --------------------------------------------------------------------------------------------
def test_a_thread_over_its_time_budget_is_refused_before_any_work(runtime: Runtime) -> None:
    configure(runtime, thread_time_budget_ms=1.0)
    first = ask(runtime)
    usage = runtime.answer_cache.thread_usage("default", first.thread_id)
    assert usage.requests == 1 and usage.elapsed_ms > 1.0
    runtime.__dict__["pipeline"] = None  # nothing may run
    with pytest.raises(BudgetExceededError, match="budget of 1 ms"):
        ask(runtime, thread_id=first.thread_id)
    ask_new = Runtime.new_request  # a new thread has its own budget
    assert ask_new(runtime, ChatRequest(message="hi", user_id="alice")).new_thread


def test_a_thread_over_its_token_budget_gets_a_429(runtime: Runtime) -> None:

    configure(runtime, thread_token_budget=100)
    first = ask(runtime)
    runtime.answer_cache.add_usage("default", first.thread_id, tokens=150, elapsed_ms=0)
    response = api_client(runtime).post(
        "/v1/chat", json={"message": "and to checking?", "user_id": "alice", "thread_id": first.thread_id}
    )
    assert response.status_code == 429
    assert response.json()["error"] == "budget_exceeded" and "100 model tokens" in response.json()["message"]


# ---- statistics: adaptive timeouts and the fast path --------------------------------------------------
class Stats:
    def __init__(self, stats: AgentStats | None) -> None:
        self.stats = stats
        self.asked: list[tuple[str, str]] = []

    def agent_stats(self, tenant_id: str, agent_id: str) -> AgentStats | None:
        self.asked.append((tenant_id, agent_id))
        return self.stats


def test_adaptive_timeouts_follow_the_observed_p99() -> None:
    s = Settings()
    assert adaptive_timeout(10, None, s) == 10
    assert adaptive_timeout(10, AgentStats(n=5, p99_ms=100), s) == 10  # too few observations
    assert adaptive_timeout(10, AgentStats(n=100, p99_ms=100), s) == s.timeout_floor_s
    assert adaptive_timeout(10, AgentStats(n=100, p99_ms=1500), s) == 4.5
    assert adaptive_timeout(10, AgentStats(n=100, p99_ms=60_000), s) == 10


def test_the_agent_runs_with_its_adaptive_timeout(runtime: Runtime) -> None:
    runtime.__dict__["agent_stats"] = Stats(AgentStats(n=100, p50_ms=20, p99_ms=1000, reflection_score=0.5))
    r = ask(runtime)
    assert r.trace.executions[0].timeout_s == 3.0 and not r.reflection.skipped


def test_a_confident_request_to_a_trusted_agent_skips_reflection(runtime: Runtime) -> None:
    configure(runtime, answer_cache_ttl_s=0)
    stats = Stats(AgentStats(n=500, p50_ms=20, p99_ms=80, reflection_score=0.9, reward=0.85))
    runtime.__dict__["agent_stats"] = stats
    r = ask(runtime)
    assert r.trace.selection.confidence >= runtime.settings.reflection_skip_confidence
    assert r.reflection.skipped and r.reflection.score == 0.9 and r.reflection.reason.startswith("fast path")
    assert r.trace.executions[0].fast_path is not None and ("default", "banking") in stats.asked
    # A low reward, too few observations, or a leak: reflect as usual.
    for weak in (AgentStats(n=500, reflection_score=0.9, reward=0.3), AgentStats(n=3, reflection_score=0.9)):
        stats.stats = weak
        assert not ask(runtime).reflection.skipped
    stats.stats = AgentStats(n=500, reflection_score=0.9, reward=0.9)
    upset = ask(runtime, "this is ridiculous, I am so angry, how do i transfer money to my savings account")
    assert upset.sentiment.label == "negative" and not upset.reflection.skipped  # tone is always reviewed
    leaky(runtime)
    r = ask(runtime)
    assert not r.reflection.skipped and "@" not in r.answer
