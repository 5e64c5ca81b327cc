"""The whole request pipeline, run locally on the very ASL document Step Functions runs."""

from __future__ import annotations

from typing import Any

import pytest

from mastra.errors import ConflictError, ProviderError, ProviderThrottledError, StorageError
from mastra.models import ChatRequest
from mastra.providers import ChatMessage, CompletionRequest, CompletionResponse, ModelProvider
from mastra.runtime import Runtime
from mastra.spec.models import AgentSpec


def ask(rt: Runtime, message: str, **kw: Any):  # type: ignore[no-untyped-def]
    return rt.chat(ChatRequest(message=message, user_id=kw.pop("user_id", "alice"), **kw))


def test_a_request_goes_through_every_step_and_is_remembered(runtime: Runtime) -> None:
    r = ask(runtime, "how do i transfer money to my savings account")
    assert r.agent == "banking" and r.confidence > 0.5
    assert r.sources and r.answer == next(
        p.text for p in runtime.agents.registry.get("banking").knowledge.passages if p.id == r.sources[0]
    )
    assert r.sentiment.label in {"negative", "neutral", "positive"} and -1 <= r.sentiment.score <= 1
    assert r.reflection.verdict == "accept" and r.reflection.score >= runtime.settings.reflection_threshold
    assert set(r.timings_ms) == {
        "select_agent",
        "analyze_sentiment",
        "execute_agent",
        "reflect",
        "remember",
        "total",
    }
    assert r.trace.selection.ranked[0].agent_id == "banking" and not r.trace.errors
    stored = runtime.store.recent_messages("default", r.thread_id, 10)
    assert [(m.role, m.content) for m in stored] == [
        ("user", "how do i transfer money to my savings account"),
        ("assistant", r.answer),
    ]
    record = runtime.store.get_request("default", r.request_id)
    assert record is not None and record.response["agent"] == "banking"


def test_an_agent_uses_a_tool_through_the_model_loop(runtime: Runtime) -> None:
    r = ask(runtime, "what is 15 times 23")
    assert r.agent in {"utility", "math"}
    assert r.answer == "15 × 23 = 345"
    call = r.trace.executions[-1].tool_calls[0]
    assert (
        call.name == "calculator"
        and call.arguments == {"expression": "15 * 23"}
        and call.result["data"]["result"] == 345
    )


def test_requests_no_agent_fits_go_to_the_fallback_agent(runtime: Runtime) -> None:
    r = ask(runtime, "asdf")
    assert r.agent == "fallback" and r.trace.selection.fallback
    assert "no agent fits" in (r.trace.selection.fallback_reason or "")
    r = ask(runtime, "who won the super bowl in 1985")
    assert r.agent == "fallback" and r.reflection.verdict == "accept"


class Recorder(ModelProvider):
    """Records requests; answers like the offline model would, via a wrapped provider."""

    name = "recorder"

    def __init__(self, inner: ModelProvider | None = None, reply: str = "noted") -> None:
        self.inner, self.reply, self.requests = inner, reply, []  # type: ignore[var-annotated]

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        self.requests.append(request)
        return CompletionResponse(message=ChatMessage(role="assistant", content=self.reply))


def test_the_thread_history_reaches_the_model_and_survives_a_restart(runtime: Runtime, settings, agent_cache) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    rt = Runtime(settings, providers={"retrieval": recorder}, strict_json=True)
    rt.__dict__["agents"] = runtime.agents
    first = ask(rt, "what's my checking balance")
    rt.store.close()
    restarted = Runtime(settings, providers={"retrieval": recorder}, strict_json=True)
    restarted.__dict__["agents"] = runtime.agents
    ask(restarted, "and my savings", thread_id=first.thread_id)
    history = recorder.requests[-1].messages
    assert [(m.role, m.content) for m in history] == [
        ("user", "what's my checking balance"),
        ("assistant", "noted"),
        ("user", "and my savings"),
    ]
    assert len(restarted.store.recent_messages("default", first.thread_id, 10)) == 4
    restarted.store.close()


def test_only_a_thread_that_exists_is_read_for_history(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real = runtime.store.recent_messages

    def counted(tenant: str, thread: str, limit: int) -> Any:
        reads.append(thread)
        return real(tenant, thread, limit)

    monkeypatch.setattr(runtime.store, "recent_messages", counted)
    first = ask(runtime, "what's my checking balance")
    assert reads == []  # the request opened the thread: nothing to read (one query saved per first turn)
    ask(runtime, "and my savings", thread_id=first.thread_id)
    # The history, then (remember) the previous answer, which gets the implicit feedback signals.
    assert reads == [first.thread_id, first.thread_id]


def test_another_users_thread_is_refused_before_any_work(runtime: Runtime) -> None:
    first = ask(runtime, "hello there", user_id="alice")
    with pytest.raises(ConflictError):
        ask(runtime, "show me alice's stuff", user_id="mallory", thread_id=first.thread_id)
    assert len(runtime.store.recent_messages("default", first.thread_id, 10)) == 2


class Scripted:
    """A provider factory. Per agent: raise an error or answer badly for the named agents; else the real model."""

    def __init__(self, runtime: Runtime, behaviour: dict[str, Any]) -> None:
        self.runtime, self.behaviour, self.calls = runtime, behaviour, []  # type: ignore[var-annotated]
        from mastra.providers import ProviderFactory

        self.real = ProviderFactory(runtime.agents)

    def for_agent(self, spec: AgentSpec) -> ModelProvider:
        outer = self

        class One(ModelProvider):
            name = "scripted"

            def complete(self, request: CompletionRequest) -> CompletionResponse:
                outer.calls.append(spec.id)
                action = outer.behaviour.get(spec.id)
                if isinstance(action, list):
                    action = action.pop(0) if action else None
                if isinstance(action, Exception):
                    raise action
                if action == "no_match":
                    return CompletionResponse(
                        message=ChatMessage(role="assistant", content="hmm?"), stop_reason="no_match"
                    )
                return outer.real(spec).complete(request)

        return One()


def scripted(runtime: Runtime, behaviour: dict[str, Any]) -> Scripted:
    # The router is sure of "banking" for the test message, so allow retries to unlikely agents.
    runtime.reflector.retry_min_confidence = 0.0
    s = Scripted(runtime, behaviour)
    runtime.__dict__["providers"] = s.for_agent
    runtime.__dict__.pop("executor", None)
    return s


def test_a_weak_answer_is_retried_with_the_next_best_agent(runtime: Runtime) -> None:
    s = scripted(runtime, {"banking": "no_match"})
    runtime.settings = runtime.settings.model_copy(update={"max_attempts": 2})
    r = ask(runtime, "how do i transfer money to my savings account")
    assert s.calls[0] == "banking" and len(s.calls) == 2
    assert r.reflection.verdict == "retry" and len(r.attempts) == 2
    assert r.attempts[0].agent_id == "banking" and r.attempts[0].verdict == "retry"
    assert r.agent == r.attempts[1].agent_id != "banking"
    assert r.trace.reflections[0].retry_agent_id == r.agent


def test_the_better_first_answer_is_kept_after_a_retry(runtime: Runtime) -> None:
    # The first agent answers weakly, the retry agent answers nothing at all: the first answer stands.
    first = runtime.agents.router.route("how do i transfer money to my savings account", floor=0.3).ranked
    scripted(runtime, {first[1].agent_id: "no_match"})
    runtime.reflector.threshold = 1.01  # every answer counts as weak
    runtime.reflector.retry_min_confidence = 0.0
    runtime.reflector.repair_min_fit = 1.1  # and is retried elsewhere, not repaired
    runtime.settings = runtime.settings.model_copy(update={"max_attempts": 2})
    r = ask(runtime, "how do i transfer money to my savings account")
    assert len(r.attempts) == 2 and r.agent == "banking" and r.trace.reflections[1].chosen == "first"


def test_a_throttled_provider_is_retried_in_place(runtime: Runtime) -> None:
    s = scripted(runtime, {"banking": [ProviderThrottledError("slow down")]})
    r = ask(runtime, "how do i transfer money to my savings account")
    assert r.agent == "banking" and not r.trace.errors and s.calls == ["banking", "banking"]


def test_a_failing_agent_falls_back_and_the_failure_is_recorded(runtime: Runtime) -> None:
    s = scripted(runtime, {"banking": ProviderError("model is down")})
    runtime.reflector.retry_min_confidence = 1.1  # no retry: see what the fallback itself says
    r = ask(runtime, "how do i transfer money to my savings account")
    assert r.agent == "fallback" and s.calls.count("banking") == 1
    assert r.answer.startswith("Sorry, I couldn't answer that just now: the banking agent failed (ProviderError)")
    assert [e.error for e in r.trace.errors] == ["ProviderError"]
    first = r.trace.executions[0]
    assert first.recovered_from is not None and first.replaces_agent_id == "banking"
    assert len(runtime.store.recent_messages("default", r.thread_id, 10)) == 2


def test_after_a_failure_the_retry_goes_to_another_agent(runtime: Runtime) -> None:
    s = scripted(runtime, {"banking": ProviderError("model is down")})
    r = ask(runtime, "how do i transfer money to my savings account")
    assert s.calls.count("banking") == 1, s.calls  # the failed agent is not asked again
    assert r.reflection.verdict == "retry" and r.attempts[1].agent_id not in {"banking", "fallback"}
    assert [e.error for e in r.trace.errors] == ["ProviderError"]  # the original failure stays on record


def test_reflection_keeps_a_deliberate_fallback(runtime: Runtime) -> None:
    runtime.reflector.retry_min_confidence = 0.0
    r = ask(runtime, "asdf")  # too little evidence for any agent: the fallback answers, weakly
    assert r.agent == "fallback" and len(r.attempts) == 1 and r.reflection.score < runtime.reflector.threshold
    assert "the router chose the fallback" in r.reflection.reason


def test_a_failed_retry_keeps_the_first_answer(runtime: Runtime) -> None:
    ranked = runtime.agents.router.route("how do i transfer money to my savings account", floor=0.3).ranked
    scripted(runtime, {"banking": "no_match", ranked[1].agent_id: ProviderError("down")})
    r = ask(runtime, "how do i transfer money to my savings account")
    assert r.agent == "banking" and r.answer == "hmm?" and r.reflection.verdict == "retry"
    assert "the retry failed (ProviderError)" in r.reflection.reason
    assert [a.verdict for a in r.attempts] == ["retry", "failed"]


def test_selection_and_sentiment_failures_degrade_gracefully(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a: Any, **k: Any) -> None:
        raise RuntimeError("router exploded")

    monkeypatch.setattr(runtime.router, "route_encoded", broken)
    monkeypatch.setattr(runtime.sentiment, "analyze", broken)
    r = ask(runtime, "how do i transfer money to my savings account")
    assert r.agent == "fallback" and r.sentiment.label == "neutral"
    assert sorted(e.error for e in r.trace.errors) == ["RuntimeError", "RuntimeError"]


def test_a_storage_failure_fails_loudly_after_retries(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def down(turn: Any, expires_at: Any) -> bool:
        calls.append(turn)
        raise StorageError("disk on fire")

    monkeypatch.setattr(runtime.store, "_write_turn", down)
    with pytest.raises(StorageError, match="disk on fire"):
        ask(runtime, "how do i transfer money to my savings account")
    assert len(calls) == 3  # the first attempt and two retries, per the pipeline's Retry rule


def test_when_events_cannot_be_kept_the_stored_turn_still_answers(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mastra.errors import EventPublishError

    def unavailable(*args: Any) -> None:
        raise EventPublishError("queue unreachable")

    def store_down(*args: Any) -> None:
        raise StorageError("table throttled")

    monkeypatch.setattr(runtime.publisher, "publish", unavailable)
    monkeypatch.setattr(runtime.store, "record_events", store_down)
    r = ask(runtime, "how do i transfer money to my savings account")
    # Remember was retried (the turn written once), then the stored turn stood: no duplicate, no 5xx.
    assert r.agent == "banking" and runtime.store.get_request("default", r.request_id) is not None
    assert len(runtime.store.recent_messages("default", r.thread_id, 10)) == 2


def test_remember_is_idempotent_when_step_functions_retries_it(runtime: Runtime) -> None:
    from mastra import steps

    r = ask(runtime, "hello")
    state = {
        "request": {
            "request_id": r.request_id,
            "tenant_id": "default",
            "user_id": "alice",
            "thread_id": r.thread_id,
            "message": "hello",
            "received_at": 1.0,
        },
        "analysis": {
            "selection": r.trace.selection.model_dump(),
            "sentiment": r.trace.sentiment.model_dump(),
        },
        "execution": r.trace.executions[0].model_dump(),
        "reflection": r.trace.reflections[0].model_dump(),
    }
    steps.remember(state, runtime=runtime)
    assert len(runtime.store.recent_messages("default", r.thread_id, 10)) == 2


def test_an_agents_fallback_chain_answers_offline_and_the_trace_says_why(runtime: Runtime) -> None:
    from mastra.providers import FakeProvider, ProviderFactory
    from mastra.spec.models import ModelSettings

    registry = runtime.agents.registry
    banking = registry.get("banking")
    chained = banking.model_copy(
        update={
            "model": ModelSettings(
                provider="bedrock",
                model_id="anthropic.claude-3-5-sonnet",
                fallbacks=[{"provider": "openai", "model_id": "gpt-4o-mini"}],  # type: ignore[list-item]
            )
        }
    )
    registry._by_id["banking"] = chained
    runtime.__dict__["providers"] = ProviderFactory(
        runtime.agents,
        instances={
            "bedrock": FakeProvider(
                error=ProviderThrottledError("bedrock ThrottlingException", details={"attempts": 3})
            ),
            "openai": FakeProvider(error=ProviderError("openai: HTTP 401: invalid key")),
        },
    )
    runtime.__dict__.pop("executor", None)
    r = ask(runtime, "how do i transfer money to my savings account")
    execution = r.trace.executions[0]
    assert r.agent == "banking" and execution.provider == "retrieval" and execution.model_id == "tfidf-v1"
    assert r.sources and execution.answered
    assert [(f.provider, f.model_id, f.error, f.attempts) for f in execution.provider_failures] == [
        ("fake", "anthropic.claude-3-5-sonnet", "provider_throttled", 3),
        ("fake", "gpt-4o-mini", "provider_error", 1),
    ]
    stored = runtime.store.get_request("default", r.request_id)
    assert stored is not None
    assert (
        stored.response["trace"]["executions"][0]["provider_failures"][1]["message"] == "openai: HTTP 401: invalid key"
    )
