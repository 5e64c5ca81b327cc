"""Write events/<function>.json: a real input for every Lambda handler, captured from a local run.

    python infra/sample_events.py

One request ("how do i transfer money to my savings account") runs through the local pipeline;
each Task's input is recorded as its function's sample event. The API gets API Gateway HTTP API
(v2) events. ``mastra invoke <function> -e events/<function>.json`` replays them; tests do too.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from mastra import steps
from mastra.models import ChatRequest
from mastra.pipeline import STEPS, definition, resource
from mastra.runtime import Runtime
from mastra.settings import Settings
from mastra.workflow import LocalStateMachine

EVENTS = Path(__file__).resolve().parents[1] / "events"
# Fixed ids and clock so regenerated files only change when the shapes change.
REQUEST = {
    "request_id": "01JD0000000000000000000000",
    "tenant_id": "default",
    "user_id": "local-user",
    "thread_id": "01JD00000000000000000THREAD",
    "message": "how do i transfer money to my savings account",
    "received_at": 1764000000.0,
}


#: What API Gateway's JWT authorizer adds to the event once it has verified a token (template.yaml,
#: JwtIssuer set): the app maps these claims to the caller (tenant ``custom:tenant_id``, scopes).
JWT_AUTHORIZER = {
    "jwt": {
        "claims": {
            "sub": "5f3c1f2e-0000-4000-8000-00000000c0de",
            "custom:tenant_id": "default",
            "scope": "mastra/chat mastra/feedback",
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
            "client_id": "example-client",
        },
        "scopes": ["mastra/chat", "mastra/feedback"],
    }
}


def http_event(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, as it reaches the function behind the JWT authorizer."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "host": "api.example.com",
            "user-agent": "curl/8.5.0",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:16:00:00 +0000",
            "timeEpoch": 1764000000000,
            "authorizer": JWT_AUTHORIZER,
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def sqs_event(
    bodies: list[str], *, queue: str = "mastra-events", attributes: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """An SQS event source mapping event: one record per message body (with its string attributes)."""
    arn = f"arn:aws:sqs:us-east-1:123456789012:{queue}"
    records = [
        {
            "messageId": f"0000000{i}-1111-2222-3333-444444444444",
            "receiptHandle": f"receipt-{i}",
            "body": body,
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1764000000000",
                "SenderId": "AROAEXAMPLE:mastra-remember",
                "ApproximateFirstReceiveTimestamp": "1764000000001",
            },
            "messageAttributes": {
                k: {"stringValue": v, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
                for k, v in (attributes[i] if attributes else {}).items()
            },
            "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": "us-east-1",
        }
        for i, body in enumerate(bodies)
    ]
    return {"Records": records}


def request_worker_samples() -> dict[str, dict[str, Any]]:
    """The async-request worker's input (a queued request as the API sends it), and the API's POST."""
    from mastra.async_requests import QueuedRequest
    from mastra.models import RequestContext

    context = RequestContext(**{**REQUEST, "request_id": "01JD00000000000000000ASYNC1"}, new_thread=True)
    queued = QueuedRequest(context=context)  # no callback_url: a replay calls no one
    ids = {"tenant_id": context.tenant_id, "request_id": context.request_id}
    body = {"message": REQUEST["message"], "user_id": "local-user"}
    return {
        "request_worker": sqs_event([queued.model_dump_json()], queue="mastra-requests", attributes=[ids]),
        "api_requests": http_event("POST", "/v1/requests", body),
    }


def main() -> None:
    captured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as home:
        rt = Runtime(Settings.from_env(home=home))

        def record(name: str, event: dict[str, Any]) -> dict[str, Any]:
            captured.setdefault(name, json.loads(json.dumps(event)))
            return getattr(steps, name)(event, runtime=rt)  # type: ignore[no-any-return]

        machine = LocalStateMachine(definition(), {resource(name): partial(record, name) for name in STEPS})
        machine.run({"request": REQUEST})
        published = [e.body for e in rt.store.list_events(REQUEST["tenant_id"], REQUEST["request_id"])]
    EVENTS.mkdir(exist_ok=True)
    for name, event in captured.items():
        (EVENTS / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n")
    samples = {
        "api_chat": http_event(
            "POST",
            "/v1/chat",
            ChatRequest(message="what is 15 times 23", user_id="local-user").model_dump(exclude_none=True),
        ),
        "api_agents": http_event("GET", "/v1/agents"),
        "api_chat_invalid": http_event("POST", "/v1/chat", {"message": "", "user_id": "local-user"}),
        "event_consumer": sqs_event([json.dumps({"events": published})]),
        **request_worker_samples(),
    }
    for name, event in samples.items():
        (EVENTS / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n")
    print("wrote", ", ".join(sorted([*captured, *samples])))


if __name__ == "__main__":
    main()
