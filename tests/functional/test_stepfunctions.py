"""The committed state machine, executed by moto's Step Functions interpreter, matches the local runtime.

moto runs ``statemachines/request_pipeline.asl.json`` itself; its Lambda invocations are
dispatched in-process to the handlers in ``functions/`` (see ``tests/awsmock.py``), which talk to
moto's DynamoDB and SQS. Each scenario runs the same request through the local runtime and
compares every field that is not a timing or a generated id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from tests.awsmock import ROLE_ARN, deploy, dispatch_lambda_in_process

from mastra import aws
from mastra.agents.agentset import AgentSet
from mastra.errors import ProviderError, ProviderThrottledError
from mastra.models import ChatRequest, ChatResponse
from mastra.providers.base import ChatMessage, CompletionResponse
from mastra.providers.retrieval import RetrievalProvider
from mastra.runtime import Runtime, get_runtime
from mastra.settings import EXAMPLE_AGENTS_DIR, Settings, get_settings

MESSAGE = "how do i transfer money to my savings account"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, agent_cache: Path, tmp_path: Path) -> Iterator[SimpleNamespace]:
    AgentSet.load(EXAMPLE_AGENTS_DIR, agent_cache)  # compiled once per session, shipped "prebuilt"
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        aws.reset()
        boto3.client("iam").create_role(
            RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )
        env = deploy()
        for key, value in env.items():
            if key.startswith("MASTRA_"):
                monkeypatch.setenv(key, value)
        monkeypatch.setenv("MASTRA_PREBUILT_DIR", str(agent_cache))
        get_settings.cache_clear()
        get_runtime.cache_clear()
        calls = dispatch_lambda_in_process(monkeypatch)
        runtime = get_runtime()
        # Every "function" shares this process: build up front what each builds in its INIT phase,
        # so that start-up work does not count against the states' TimeoutSeconds.
        for name in ("agents", "sentiment", "reflector", "executor", "store", "publisher", "pipeline"):
            getattr(runtime, name)
        local = Runtime(Settings.from_env({}, home=tmp_path / "local", prebuilt_dir=agent_cache), sleep=lambda s: None)
        yield SimpleNamespace(env=env, calls=calls, local=local, aws=runtime)
        local.store.close()
        get_runtime.cache_clear()
        get_settings.cache_clear()
        aws.reset()


def comparable(r: ChatResponse) -> dict[str, Any]:
    return {
        "answer": r.answer,
        "agent": r.agent,
        "confidence": r.confidence,
        "sentiment": r.sentiment.model_dump(),
        "reflection": (r.reflection.verdict, r.reflection.score),
        "attempts": [(a.agent_id, a.verdict, a.score, a.answer) for a in r.attempts],
        "sources": r.sources,
        "errors": [e.error for e in r.trace.errors],
    }


def both(stack: SimpleNamespace, message: str = MESSAGE) -> tuple[ChatResponse, ChatResponse]:
    on_aws = stack.aws.chat(ChatRequest(message=message, user_id="ana"))
    local = stack.local.chat(ChatRequest(message=message, user_id="ana"))
    assert comparable(on_aws) == comparable(local)
    return on_aws, local


def test_the_happy_path_matches_the_local_runtime(stack: SimpleNamespace) -> None:
    r, _ = both(stack)
    assert r.agent == "banking" and r.reflection.verdict == "accept"
    assert stack.calls == {"select_agent": 1, "analyze_sentiment": 1, "execute_agent": 1, "reflect": 1, "remember": 1}
    # The turn is in DynamoDB and the events went to SQS as one message.
    store = stack.aws.store
    assert [m.role for m in store.recent_messages("default", r.thread_id, 10)] == ["user", "assistant"]
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.env["MASTRA_EVENTS_QUEUE_URL"], MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    events = json.loads(messages[0]["Body"])["events"]
    assert [e["type"] for e in events] == [
        "request.received",
        "agent.selected",
        "agent.completed",
        "reflection.verdict",
        "request.completed",
        "reward.assigned",  # the answer's first outcome, in the same message
    ]


def is_banking(provider: RetrievalProvider) -> bool:
    return provider.no_answer.startswith("I couldn't find that in my banking")


def test_a_retryable_error_is_retried_by_the_state_machine(
    stack: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RetrievalProvider.complete
    failures = {"left": 1}

    def throttled_once(self: RetrievalProvider, request: Any) -> CompletionResponse:
        if failures["left"]:
            failures["left"] -= 1
            raise ProviderThrottledError("slow down")
        return real(self, request)

    monkeypatch.setattr(RetrievalProvider, "complete", throttled_once)
    r = stack.aws.chat(ChatRequest(message=MESSAGE, user_id="ana"))
    assert stack.calls["execute_agent"] == 2 and r.agent == "banking" and not r.trace.errors
    failures["left"] = 1
    local = stack.local.chat(ChatRequest(message=MESSAGE, user_id="ana"))
    assert comparable(r) == comparable(local)


def test_a_step_that_fails_for_good_is_caught_and_recorded(
    stack: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RetrievalProvider.complete

    def banking_down(self: RetrievalProvider, request: Any) -> CompletionResponse:
        if is_banking(self):
            raise ProviderError("banking model is down")
        return real(self, request)

    monkeypatch.setattr(RetrievalProvider, "complete", banking_down)
    r, _ = both(stack)
    assert [e.error for e in r.trace.errors] == ["ProviderError"]
    assert r.trace.executions[0].recovered_from is not None and r.trace.executions[0].replaces_agent_id == "banking"
    assert r.agent != "banking"


def test_the_reflection_retry_path_matches(stack: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    real = RetrievalProvider.complete

    def banking_has_nothing(self: RetrievalProvider, request: Any) -> CompletionResponse:
        if is_banking(self):
            return CompletionResponse(message=ChatMessage(role="assistant", content="hmm?"), stop_reason="no_match")
        return real(self, request)

    monkeypatch.setattr(RetrievalProvider, "complete", banking_has_nothing)
    for rt in (stack.aws, stack.local):
        rt.reflector.retry_min_confidence = 0.0  # the router is sure of banking; allow the retry anyway
    r, _ = both(stack)
    assert r.reflection.verdict == "retry" and r.attempts[0].agent_id == "banking"
    # Retried until an answer is good enough or the attempts budget (3) is spent.
    assert stack.calls["execute_agent"] == stack.calls["reflect"] == len(r.attempts) in (2, 3)


def test_the_repair_loop_matches(stack: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    real = RetrievalProvider.complete

    def leaks_unless_critiqued(self: RetrievalProvider, request: Any) -> CompletionResponse:
        response = real(self, request)
        if is_banking(self) and request.critique is None and response.sources:
            response.message.content += " Write to jane.doe@bank.example.com."
        return response

    monkeypatch.setattr(RetrievalProvider, "complete", leaks_unless_critiqued)
    r, _ = both(stack)
    assert [(a.agent_id, a.action, a.verdict) for a in r.attempts] == [
        ("banking", "answer", "repair"),
        ("banking", "repair", "accept"),
    ]
    assert "@" not in r.answer and r.trace.executions[1].critique is not None
    assert stack.calls["execute_agent"] == 2 and stack.calls["reflect"] == 2


def test_a_cached_answer_skips_reflection_in_the_state_machine(stack: SimpleNamespace) -> None:
    first = stack.aws.chat(ChatRequest(message=MESSAGE, user_id="ana"))
    second = stack.aws.chat(ChatRequest(message=MESSAGE, user_id="bob"))
    assert second.answer == first.answer and second.reflection.skipped
    assert second.trace.executions[0].cache is not None and second.trace.executions[0].cache.hit
    assert stack.calls["execute_agent"] == 2 and stack.calls["reflect"] == 1


def test_events_survive_an_unreachable_queue(stack: SimpleNamespace) -> None:
    boto3.client("sqs").delete_queue(QueueUrl=stack.env["MASTRA_EVENTS_QUEUE_URL"])
    r = stack.aws.chat(ChatRequest(message=MESSAGE, user_id="ana"))
    assert r.agent == "banking" and stack.calls["remember"] == 1
    # The consumer's job (store the events) was done by Remember directly.
    stored = stack.aws.store.list_events("default", r.request_id)
    assert [e.type for e in stored] == [
        "request.received",
        "agent.selected",
        "agent.completed",
        "reflection.verdict",
        "request.completed",
        "reward.assigned",
    ]
