"""A poison message on the events queue (moto SQS, the template's redrive policy).

Real requests publish their events to the queue; two poison messages join them. Lambda's SQS event
source mapping is played by a loop: receive a batch, call ``functions/event_consumer`` with it,
delete what it processed and make what it reported in ``batchItemFailures`` visible again. Each
poison message is received ``maxReceiveCount`` times, then SQS parks it in the dead-letter queue;
every other message of its batches is stored, once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.awsmock import create_queues, resource
from tests.faults.conftest import ledger, nothing_lost

from mastra.invoke import invoke_function
from mastra.models import ChatRequest
from mastra.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
MAX_RECEIVES = resource("EventsQueue")["Properties"]["RedrivePolicy"]["maxReceiveCount"]


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message as Lambda's event source mapping hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def drain(url: str, invoke: Callable[[dict[str, Any]], dict[str, Any]], rounds: int = 30) -> dict[str, Any]:
    """Deliver the queue to the consumer until it is empty, as the event source mapping would."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    receives: Counter[str] = Counter()
    processed: list[str] = []
    first_batch: dict[str, Any] = {}
    for _ in range(rounds):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            break
        for m in messages:
            receives[m["Body"]] += 1
        try:
            out = invoke({"Records": [lambda_record(m, arn) for m in messages]})
            failed = {f["itemIdentifier"] for f in out["batchItemFailures"]}
        except BatchProcessingError:  # every record failed: the invocation errors, SQS redelivers them all
            failed = {m["MessageId"] for m in messages}
        first_batch = first_batch or {"size": len(messages), "failed": len(failed)}
        for m in messages:
            if m["MessageId"] in failed:  # visible again now, not after the visibility timeout
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                processed.append(m["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return {"receives": receives, "processed": processed, "first_batch": first_batch}


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_a_poison_message_goes_to_the_dlq_and_the_rest_of_the_batch_is_stored_once(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mastra.runtime
    import mastra.steps  # imported before the patch below: it keeps its own reference to get_runtime

    sqs = boto3.client("sqs")
    url, dlq_url = create_queues(sqs, "mastra-faults-events")
    rt = make_runtime(events="sqs", events_queue_url=url)
    monkeypatch.setattr(mastra.runtime, "get_runtime", lambda: rt)  # the consumer's runtime
    monkeypatch.setattr(mastra.steps, "get_runtime", lambda: rt)

    responses = [rt.chat(ChatRequest(message=m, user_id="ana")) for m in ("hello", "what is my balance", "2+2")]
    unknown = {"events": [{"event_id": "x:request.received", "version": 99, "type": "request.received"}]}
    poison = ["{not json", json.dumps(unknown)]
    for body in poison:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    before = ledger(rt)

    run = drain(url, lambda event: invoke_function(REPO, "event_consumer", event))

    # The first batch held the poison and good messages: the good ones were processed at once.
    assert run["first_batch"]["size"] == 5 and run["first_batch"]["failed"] == 2
    for body in poison:
        assert run["receives"][body] == MAX_RECEIVES
    parked = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in parked) == sorted(poison)
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []

    # Every good message was processed once, and every event of every request is stored, once.
    assert len(run["processed"]) == len(responses) == len(set(run["processed"]))
    published = {e["event_id"] for body in run["processed"] for e in json.loads(body)["events"]}
    for r in responses:
        stored = rt.store.list_events("default", r.request_id)
        ids = [e.event_id for e in stored]
        assert len(ids) == len(set(ids)) and {e.type for e in stored} >= {"request.received", "request.completed"}
        assert set(ids) <= published
    after = ledger(rt)
    assert nothing_lost(before, after) == []
    assert sum(1 for k in after if "x:request.received" in " ".join(map(str, k))) == 0  # nothing of the poison

    # A redelivery of a processed message (at-least-once delivery) stores nothing twice.
    sqs.send_message(QueueUrl=url, MessageBody=run["processed"][0])
    again = drain(url, lambda event: invoke_function(REPO, "event_consumer", event))
    assert len(again["processed"]) == 1 and ledger(rt) == after
