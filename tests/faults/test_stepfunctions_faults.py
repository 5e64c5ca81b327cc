"""A Step Functions task that fails, under moto's real execution of the committed ASL.

The failing step's Lambda returns an error payload (a crash: ``RuntimeError``, which no Retry
matches), so the state's Catch decides: selection, sentiment and reflection failures degrade to a
default, an agent failure is answered by ExecuteFallback. In every case the answer is given, the
failure is in its trace and in the stored request record, the turn is in DynamoDB once and its
events went to SQS; nothing stored before is lost.
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
from tests.faults.conftest import added, ledger, nothing_lost

from mastra import aws
from mastra.agents.agentset import AgentSet
from mastra.models import ChatRequest, StepFailure
from mastra.pipeline import STEPS
from mastra.runtime import get_runtime
from mastra.settings import EXAMPLE_AGENTS_DIR, get_settings

MESSAGE = "how do i transfer money to my savings account"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, agent_cache: Path) -> Iterator[SimpleNamespace]:
    AgentSet.load(EXAMPLE_AGENTS_DIR, agent_cache)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        aws.reset()
        boto3.client("iam").create_role(
            RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )
        env = deploy("mastra-faults")
        for key, value in env.items():
            if key.startswith("MASTRA_"):
                monkeypatch.setenv(key, value)
        monkeypatch.setenv("MASTRA_PREBUILT_DIR", str(agent_cache))
        get_settings.cache_clear()
        get_runtime.cache_clear()
        calls = dispatch_lambda_in_process(monkeypatch)
        runtime = get_runtime()
        for name in ("agents", "sentiment", "reflector", "executor", "store", "publisher", "pipeline"):
            getattr(runtime, name)
        yield SimpleNamespace(env=env, calls=calls, rt=runtime, fail=lambda step: crash(monkeypatch, step))
        get_runtime.cache_clear()
        get_settings.cache_clear()
        aws.reset()


def crash(monkeypatch: pytest.MonkeyPatch, step: str) -> dict[str, int]:
    """Make ``step``'s Lambda fail with an unhandled error; returns its failure count. The agent
    step crashes for the banking agent only (ExecuteFallback runs the same function, and must work)."""
    from moto.awslambda.models import LambdaFunction

    dispatch = LambdaFunction._invoke_lambda
    logical = STEPS[step][0]
    failed = {"n": 0}

    def invoke(self: Any, event: Any = None) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
        banking = payload.get("agent_id") == "banking" and not payload.get("failure")
        if self.function_name == logical and (step != "execute_agent" or banking):
            failed["n"] += 1
            error = {"errorMessage": f"{step} crashed", "errorType": "RuntimeError"}
            return json.dumps(error), True, ""
        return dispatch(self, event)  # type: ignore[no-any-return]

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)
    return failed


def queued_events(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    events: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in messages:
            events += json.loads(m["Body"])["events"]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return events


@pytest.mark.parametrize(
    ("step", "answered_by_banking"),
    [("select_agent", False), ("analyze_sentiment", True), ("execute_agent", False), ("reflect", True)],
)
def test_a_failing_task_is_caught_answered_and_recorded(
    stack: SimpleNamespace, step: str, answered_by_banking: bool
) -> None:
    rt = stack.rt
    first = rt.chat(ChatRequest(message="hello", user_id="ana"))
    queued_events(stack.env["MASTRA_EVENTS_QUEUE_URL"])
    before = ledger(rt)
    failed = stack.fail(step)

    r = rt.chat(ChatRequest(message=MESSAGE, user_id="ana", thread_id=first.thread_id))

    assert failed["n"] == 1  # an unhandled crash is not retried: the Catch takes it at once
    assert r.answer and (r.agent == "banking") is answered_by_banking
    assert [(e.error, json.loads(e.cause)["errorMessage"]) for e in r.trace.errors] == [
        ("RuntimeError", f"{step} crashed")
    ]
    record = rt.store.get_request("default", r.request_id)
    assert record is not None and record.response["answer"] == r.answer
    assert [StepFailure.model_validate(e) for e in record.response["trace"]["errors"]] == r.trace.errors
    if step == "execute_agent":  # ExecuteFallback answered and said which agent failed
        assert r.trace.executions[0].replaces_agent_id == "banking" and "failed" in r.trace.executions[0].answer

    after = ledger(rt)
    assert nothing_lost(before, after) == []
    new = [" ".join(map(str, k)) for k in added(before, after)]
    assert sum(f"M#{r.request_id}." in k for k in new) == 2 and sum(k.endswith(" REQ") for k in new) == 1
    messages = rt.store.list_messages("default", first.thread_id, limit=10).items
    assert [m.request_id for m in messages] == [first.request_id] * 2 + [r.request_id] * 2
    events = queued_events(stack.env["MASTRA_EVENTS_QUEUE_URL"])
    assert {e["request_id"] for e in events} >= {r.request_id}
    assert "request.completed" in {e["type"] for e in events if e["request_id"] == r.request_id}
    assert len({e["event_id"] for e in events}) == len(events)


def test_remember_failing_for_good_fails_the_request_loudly_and_stores_nothing(stack: SimpleNamespace) -> None:
    from mastra.errors import MastraError, PipelineError

    rt = stack.rt
    first = rt.chat(ChatRequest(message="hello", user_id="ana"))
    before = ledger(rt)
    failed = stack.fail("remember")
    with pytest.raises(MastraError) as caught:
        rt.chat(ChatRequest(message=MESSAGE, user_id="ana", thread_id=first.thread_id))
    assert isinstance(caught.value, PipelineError) and "RuntimeError" in caught.value.message
    assert failed["n"] == 1  # Remember has no Catch: the execution fails and says why
    after = ledger(rt)
    assert nothing_lost(before, after) == [] and added(before, after) == []
    assert len(rt.store.list_messages("default", first.thread_id, limit=10).items) == 2
