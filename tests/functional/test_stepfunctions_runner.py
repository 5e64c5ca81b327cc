"""The Step Functions runner as production uses it: StartSyncExecution, its outcomes, and HTTP statuses.

moto does not implement StartSyncExecution, so its responses come from a botocore Stubber with the
service's own response shapes; each outcome is followed through to the API's status code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from fastapi.testclient import TestClient
from tests.apiclient import api_client

from mastra import aws
from mastra.runtime import Runtime
from mastra.workflow.stepfunctions import StepFunctionsRunner

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:mastra-pipeline"


@pytest.fixture
def stubbed(runtime: Runtime) -> Iterator[tuple[Stubber, TestClient]]:
    client = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(client) as stub:
        runtime.__dict__["pipeline"] = StepFunctionsRunner(ARN, sync=True, client=client)
        yield stub, api_client(runtime)
        stub.assert_no_pending_responses()


def sync_response(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "executionArn": f"{ARN.replace(':stateMachine:', ':express:')}:x:y",
        "startDate": 0,
        "stopDate": 1,
        "status": status,
        **extra,
    }


def expect_start(stub: Stubber, response: dict[str, Any]) -> None:
    stub.add_response("start_sync_execution", response, {"stateMachineArn": ARN, "input": ANY, "name": ANY})


def test_a_succeeded_execution_is_the_answer(stubbed: tuple[Stubber, TestClient], runtime: Runtime) -> None:
    stub, client = stubbed
    # The output a real execution returns: what the local pipeline returns for the same request.
    local = Runtime(runtime.settings, sleep=lambda s: None)
    local.__dict__["agents"] = runtime.agents
    output = local.pipeline.run({"request": runtime.new_request(_chat()).model_dump()})
    expect_start(stub, sync_response("SUCCEEDED", output=json.dumps(output)))
    r = client.post("/v1/chat", json=_chat().model_dump())
    assert r.status_code == 200 and r.json()["answer"] == output["answer"]


def test_a_failed_step_keeps_its_status(stubbed: tuple[Stubber, TestClient]) -> None:
    stub, client = stubbed
    cause = json.dumps({"errorMessage": "thread t1 belongs to another user", "errorType": "ConflictError"})
    expect_start(stub, sync_response("FAILED", error="ConflictError", cause=cause))
    r = client.post("/v1/chat", json=_chat().model_dump())
    assert r.status_code == 409 and r.json()["message"] == "thread t1 belongs to another user"


def test_a_timed_out_execution_is_a_504(stubbed: tuple[Stubber, TestClient]) -> None:
    stub, client = stubbed
    expect_start(stub, sync_response("TIMED_OUT"))
    r = client.post("/v1/chat", json=_chat().model_dump())
    assert r.status_code == 504 and r.json()["error"] == "timeout"


def test_an_unknown_failure_is_a_502_naming_it(stubbed: tuple[Stubber, TestClient]) -> None:
    stub, client = stubbed
    expect_start(stub, sync_response("FAILED", error="States.Runtime", cause="bad JSONPath"))
    r = client.post("/v1/chat", json=_chat().model_dump())
    assert r.status_code == 502 and "States.Runtime" in r.json()["message"]


def test_a_failure_after_the_turn_was_stored_answers_from_the_store(
    stubbed: tuple[Stubber, TestClient], runtime: Runtime
) -> None:
    """Remember stored the turn, then failed: the stored answer stands (a client retry would duplicate it)."""
    stub, client = stubbed
    context = runtime.new_request(_chat())
    local = Runtime(runtime.settings, store=runtime.store, sleep=lambda s: None)
    local.__dict__["agents"] = runtime.agents
    stored = local.pipeline.run({"request": context.model_dump()})
    expect_start(stub, sync_response("FAILED", error="EventPublishError", cause="queue gone"))
    runtime.new_request = lambda request, tenant_id=None: context  # type: ignore[method-assign]
    r = client.post("/v1/chat", json=_chat().model_dump())
    assert r.status_code == 200 and r.json()["request_id"] == stored["request_id"]


def test_the_pipeline_client_never_retries_and_talks_to_one_host(monkeypatch: pytest.MonkeyPatch) -> None:
    aws.reset()
    runner = StepFunctionsRunner(ARN)
    config = runner.client.meta.config
    assert config.retries["total_max_attempts"] == 1  # a timed-out start may be running: never start it twice
    assert config.read_timeout > 25 and config.inject_host_prefix is True  # AWS: the "sync-" host
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    aws.reset()
    assert StepFunctionsRunner(ARN).client.meta.config.inject_host_prefix is False  # LocalStack, moto server
    assert aws.client("dynamodb").meta.config.retries["total_max_attempts"] == 3
    aws.reset()


def _chat() -> Any:
    from mastra.models import ChatRequest

    return ChatRequest(message="how do i transfer money to my savings account", user_id="alice")
