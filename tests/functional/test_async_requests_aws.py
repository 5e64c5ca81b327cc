"""Async requests and outbound events on the AWS stack under moto: the API queues on SQS, the request
worker runs each message in-process (as Lambda's SQS event source mapping would deliver it), the
pipeline runs as the Step Functions state machine; a poison message fails alone and lands in the
DLQ after maxReceiveCount with its status failed; a redelivered message runs nothing twice; events
reach subscribers through the EventBridge bus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws
from tests.awsmock import ROLE_ARN, deploy, dispatch_lambda_in_process, resource

from mastra import aws
from mastra.agents.agentset import AgentSet
from mastra.api import create_app
from mastra.async_requests import QueuedRequest, RequestError
from mastra.async_requests.callbacks import Attempt, CallbackError, SSMCallbackSecrets
from mastra.errors import EventPublishError, ProviderThrottledError
from mastra.events.eventbridge import EventBridgeForwarder
from mastra.invoke import invoke_function
from mastra.runtime import Runtime, get_runtime
from mastra.security import signing
from mastra.settings import EXAMPLE_AGENTS_DIR, get_settings

REPO = Path(__file__).resolve().parents[2]
MESSAGE = {"message": "how do i transfer money to my savings account", "user_id": "alice"}
MAX_RECEIVES = resource("RequestsQueue")["Properties"]["RedrivePolicy"]["maxReceiveCount"]
BUS = "mastra-test-events"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, agent_cache: Path) -> Iterator[SimpleNamespace]:
    AgentSet.load(EXAMPLE_AGENTS_DIR, agent_cache)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        aws.reset()
        boto3.client("iam").create_role(
            RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )
        env = deploy()
        boto3.client("events").create_event_bus(Name=BUS)
        env |= {
            "MASTRA_PREBUILT_DIR": str(agent_cache),
            "MASTRA_EVENT_BUS_NAME": BUS,
            "MASTRA_CALLBACK_SECRETS": "ssm",
            "MASTRA_CALLBACK_SECRET_PREFIX": "/mastra-test/callback-secret/",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        get_runtime.cache_clear()
        dispatch_lambda_in_process(monkeypatch)
        rt = get_runtime()
        for name in ("agents", "encoder", "sentiment", "reflector", "executor", "store", "publisher"):
            getattr(rt, name)  # what each function's INIT phase builds
        runs = count_pipeline_runs(rt)
        client = TestClient(create_app(rt))
        yield SimpleNamespace(env=env, rt=rt, client=client, runs=runs, sqs=boto3.client("sqs"))
        get_runtime.cache_clear()
        get_settings.cache_clear()
        aws.reset()


def count_pipeline_runs(rt: Runtime) -> list[int]:
    runs = [0]
    original = rt.pipeline.run

    def counted(data: dict[str, Any]) -> Any:
        runs[0] += 1
        return original(data)

    rt.pipeline.run = counted  # type: ignore[method-assign]
    return runs


def receive(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    return sqs.receive_message(  # type: ignore[no-any-return]
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])


def lambda_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the SQS event source mapping hands the function: the messages as Lambda records."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {
                    k: {"stringValue": v["StringValue"], "dataType": v["DataType"]}
                    for k, v in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mastra-test-requests",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def deliver(stack: SimpleNamespace, messages: list[dict[str, Any]]) -> set[str]:
    """One batch through functions/request_worker, then what the mapping does: delete the successes,
    and let the failures' visibility run out (at once here) so SQS delivers them again."""
    url = stack.env["MASTRA_REQUESTS_QUEUE_URL"]
    result = invoke_function(REPO, "request_worker", lambda_event(messages))
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    for m in messages:
        if m["MessageId"] in failed:
            stack.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        else:
            stack.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return failed


def submit(stack: SimpleNamespace, **extra: Any) -> str:
    r = stack.client.post("/v1/requests", json={**MESSAGE, **extra})
    assert r.status_code == 202, r.text
    return str(r.json()["request_id"])


def test_queued_on_sqs_run_by_the_worker_and_a_redelivery_runs_nothing_twice(stack: SimpleNamespace) -> None:
    first, second = submit(stack), submit(stack)
    assert stack.client.get(f"/v1/requests/{first}").json()["status"] == "queued"
    messages = receive(stack.sqs, stack.env["MASTRA_REQUESTS_QUEUE_URL"])
    assert {json.loads(m["Body"])["context"]["request_id"] for m in messages} == {first, second}
    assert deliver(stack, messages) == set()
    assert stack.runs == [2]
    for rid in (first, second):
        done = stack.client.get(f"/v1/requests/{rid}").json()
        assert done["status"] == "succeeded" and done["runs"] == 1 and done["result"]["request_id"] == rid, done
    # SQS delivers at least once: the same messages again (and a worker that died after storing
    # the turn, before recording the outcome, looks the same). Nothing runs; nothing is stored twice.
    assert invoke_function(REPO, "request_worker", lambda_event(messages)) == {"batchItemFailures": []}
    assert stack.runs == [2]
    status = stack.rt.async_requests.get("default", first)
    assert len(stack.rt.store.recent_messages("default", status.thread_id, 10)) == 2
    assert status.runs == 1


def test_a_request_whose_turn_was_stored_before_a_crash_is_answered_from_the_store(stack: SimpleNamespace) -> None:
    rid = submit(stack)
    (message,) = receive(stack.sqs, stack.env["MASTRA_REQUESTS_QUEUE_URL"])
    stored = stack.rt.run(QueuedRequest.model_validate_json(message["Body"]).context)  # then the worker "died"
    assert stack.runs == [1]
    assert deliver(stack, [message]) == set()
    done = stack.rt.async_requests.get("default", rid)
    assert done.status == "succeeded" and done.result is not None and done.result.answer == stored.answer
    assert stack.runs == [1]


def test_a_poison_message_fails_alone_and_lands_in_the_dlq_with_its_status_failed(
    stack: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = stack.env["MASTRA_REQUESTS_QUEUE_URL"]
    poison = submit(stack)
    (queued,) = receive(stack.sqs, url)
    # The poison message: its body is not a queued request (its attributes still name its record).
    stack.sqs.delete_message(QueueUrl=url, ReceiptHandle=queued["ReceiptHandle"])
    stack.sqs.send_message(
        QueueUrl=url,
        MessageBody='{"context": "garbage"}',
        MessageAttributes={
            "tenant_id": {"DataType": "String", "StringValue": "default"},
            "request_id": {"DataType": "String", "StringValue": poison},
        },
    )
    good, throttled = submit(stack), submit(stack)
    # And a request whose every run is throttled by its provider.
    real = stack.rt.run

    def run(context: Any, *, resume: bool = False) -> Any:
        if context.request_id == throttled:
            raise ProviderThrottledError("bedrock: ThrottlingException")
        return real(context, resume=resume)

    monkeypatch.setattr(stack.rt, "run", run)

    receives = 0
    while batch := receive(stack.sqs, url):
        receives += 1
        failed = deliver(stack, batch)
        ids = {m["MessageId"]: m["MessageAttributes"]["request_id"]["StringValue"] for m in batch}
        assert {ids[f] for f in failed} == {poison, throttled}  # the good one never fails with them
        if receives < MAX_RECEIVES:
            assert stack.rt.async_requests.get("default", throttled).status == "queued"
        assert receives <= MAX_RECEIVES + 1

    assert receives == MAX_RECEIVES
    assert stack.rt.async_requests.get("default", good).status == "succeeded"
    bad = stack.rt.async_requests.get("default", poison)
    assert bad.status == "failed" and bad.error is not None and bad.error.error == "invalid_message"
    slow = stack.rt.async_requests.get("default", throttled)
    assert slow.status == "failed" and slow.runs == MAX_RECEIVES
    assert slow.error is not None and slow.error.error == "provider_throttled" and slow.error.retryable
    dlq = stack.sqs.get_queue_url(QueueName="mastra-test-requests-dlq")["QueueUrl"]
    parked = {m["MessageAttributes"]["request_id"]["StringValue"] for m in receive(stack.sqs, dlq)}
    assert parked == {poison, throttled}


def test_a_redriven_message_runs_a_request_that_failed_on_a_retryable_error(stack: SimpleNamespace) -> None:
    rid = submit(stack)
    (message,) = receive(stack.sqs, stack.env["MASTRA_REQUESTS_QUEUE_URL"])
    service = stack.rt.async_requests
    status = service.get("default", rid)
    service._change(
        status, status="failed", error=RequestError(error="provider_throttled", message="x", retryable=True)
    )
    assert deliver(stack, [message]) == set()
    assert service.get("default", rid).status == "succeeded"


def test_callbacks_on_aws_are_signed_with_the_tenants_ssm_secret(stack: SimpleNamespace) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/mastra-test/callback-secret/default", Value="s3cret", Type="SecureString")
    service = stack.rt.async_requests
    sent: list[tuple[bytes, dict[str, str]]] = []
    service.sender.resolver = lambda host, port: ["93.184.216.34"]
    service.sender.send = lambda url, body, headers, timeout: sent.append((body, headers)) or Attempt(204, None)  # type: ignore[func-returns-value]
    # On AWS, loopback and http are refused (SSRF): 422 with the reason.
    r = stack.client.post("/v1/requests", json={**MESSAGE, "callback_url": "http://127.0.0.1:8080/x"})
    assert r.status_code == 422 and "only https" in r.json()["message"]
    rid = submit(stack, callback_url="https://hooks.example.com/mastra")
    assert deliver(stack, receive(stack.sqs, stack.env["MASTRA_REQUESTS_QUEUE_URL"])) == set()
    ((body, headers),) = sent
    assert signing.verify(b"s3cret", body, headers[signing.HEADER]) and json.loads(body)["request_id"] == rid
    assert service.get("default", rid).callback.status == "delivered"  # type: ignore[union-attr]
    with pytest.raises(CallbackError, match="no callback secret"):
        SSMCallbackSecrets("/mastra-test/callback-secret/").get("acme")


# ---- EventBridge --------------------------------------------------------------------------------------


def drain_events(stack: SimpleNamespace) -> None:
    url = stack.env["MASTRA_EVENTS_QUEUE_URL"]
    while messages := receive(stack.sqs, url):
        records = lambda_event(messages)
        assert invoke_function(REPO, "event_consumer", records) == {"batchItemFailures": []}
        for m in messages:
            stack.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_pipeline_events_reach_a_subscriber_through_the_bus(stack: SimpleNamespace) -> None:
    events, sqs = boto3.client("events"), stack.sqs
    subscriber = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=subscriber, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="mastra-feedback",
        EventBusName=BUS,
        EventPattern=json.dumps(
            {"source": ["mastra"], "detail-type": ["request.completed", "feedback.received", "reward.assigned"]}
        ),
    )
    events.put_targets(Rule="mastra-feedback", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])

    answer = stack.client.post("/v1/chat", json=MESSAGE).json()
    r = stack.client.post("/v1/feedback", json={"request_id": answer["request_id"], "user_id": "alice", "thumbs": "up"})
    assert r.status_code == 200, r.text
    drain_events(stack)
    received = [json.loads(m["Body"]) for m in receive(sqs, subscriber) + receive(sqs, subscriber)]
    kinds = sorted(e["detail-type"] for e in received)
    # The answer's reward is assigned when it completes (revision 1) and again with the feedback (2).
    assert kinds == ["feedback.received", "request.completed", "reward.assigned", "reward.assigned"], kinds
    assert sorted(e["detail"]["revision"] for e in received if e["detail-type"] == "reward.assigned") == [1, 2]
    assert {e["source"] for e in received} == {"mastra"}
    assert {e["detail"]["request_id"] for e in received} == {answer["request_id"]}
    assert all(e["detail"]["type"] == e["detail-type"] and e["detail"]["event_id"] for e in received)


def test_entries_eventbridge_refuses_are_sent_again_then_fail_loudly() -> None:
    from mastra.events.models import RequestFailed

    event = RequestFailed(tenant_id="t", request_id="r", error="x", message="y")
    calls: list[list[dict[str, Any]]] = []

    class Client:
        def __init__(self, failures: int) -> None:
            self.failures = failures

        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            calls.append(Entries)
            if self.failures:
                self.failures -= 1
                return {
                    "FailedEntryCount": 1,
                    "Entries": [{"ErrorCode": "ThrottlingException"}] + [{"EventId": "1"}] * (len(Entries) - 1),
                }
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}] * len(Entries)}

    forwarder = EventBridgeForwarder("bus", client=Client(failures=1), sleep=lambda s: None)
    assert forwarder.forward([event, event.model_copy(update={"request_id": "r2"})]) == 2
    assert [len(c) for c in calls] == [2, 1]  # only the refused entry again
    assert calls[0][0] == {
        "Source": "mastra",
        "DetailType": "request.failed",
        "Detail": event.model_dump_json(),
        "EventBusName": "bus",
        "Time": event.occurred_at,
        "Resources": [],
    }
    with pytest.raises(EventPublishError, match="ThrottlingException"):
        EventBridgeForwarder("bus", client=Client(failures=99), sleep=lambda s: None).forward([event])
