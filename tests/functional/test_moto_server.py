"""The stack against a moto server on loopback: real HTTP, configuration only, no code change.

A ``ThreadedMotoServer`` runs in this process; its Step Functions interpreter executes the
committed ASL and calls Lambda back on ``MOTO_PORT``, where the invocation is dispatched to the
handlers in ``functions/`` (``tests/awsmock.py``). Everything else reaches the server the way it
would reach LocalStack or AWS: boto3 following ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import boto3
import httpx
import pytest
from tests.awsmock import ROLE_ARN, deploy, dispatch_lambda_in_process

from mastra import aws
from mastra.agents.agentset import AgentSet
from mastra.invoke import LambdaContext, load_handler_module
from mastra.runtime import get_runtime
from mastra.settings import EXAMPLE_AGENTS_DIR, get_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    url = f"http://{host}:{port}"
    httpx.post(f"{url}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}).raise_for_status()
    yield url
    srv.stop()


@pytest.fixture
def stack(server: str, monkeypatch: pytest.MonkeyPatch, agent_cache: Path) -> Iterator[SimpleNamespace]:
    AgentSet.load(EXAMPLE_AGENTS_DIR, agent_cache)
    httpx.post(f"{server}/moto-api/reset").raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server)
    monkeypatch.setenv("MOTO_PORT", server.rsplit(":", 1)[1])
    aws.reset()
    boto3.client("iam").create_role(RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument="{}")
    env = {k: v for k, v in deploy().items() if k.startswith("MASTRA_")}
    env["MASTRA_PREBUILT_DIR"] = str(agent_cache)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_runtime.cache_clear()
    calls = dispatch_lambda_in_process(monkeypatch)
    yield SimpleNamespace(url=server, env=env, calls=calls)
    get_runtime.cache_clear()
    get_settings.cache_clear()
    aws.reset()


def api_event(name: str) -> dict:
    return json.loads((REPO / "events" / f"{name}.json").read_text())  # type: ignore[no-any-return]


def test_the_api_function_answers_through_the_state_machine_over_http(stack: SimpleNamespace) -> None:
    api = load_handler_module(REPO, "api")
    api.app.state.runtime = get_runtime()  # the module may have been loaded by an earlier test
    out = api.handler(api_event("api_chat"), LambdaContext("api"))
    assert out["statusCode"] == 200, out["body"]
    body = json.loads(out["body"])
    assert body["agent"] in {"utility", "math"} and "345" in body["answer"]
    assert stack.calls == {"select_agent": 1, "analyze_sentiment": 1, "execute_agent": 1, "reflect": 1, "remember": 1}

    # The turn and its events are on the server, read back over HTTP by a fresh client.
    table = boto3.client("dynamodb").scan(TableName=stack.env["MASTRA_TABLE_NAME"])["Items"]
    assert sum(1 for item in table if item["SK"]["S"].startswith("M#")) == 2
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.env["MASTRA_EVENTS_QUEUE_URL"], MaxNumberOfMessages=10)
    assert [json.loads(m["Body"])["events"][0]["request_id"] for m in messages["Messages"]] == [body["request_id"]]

    # Bad input is a 4xx with a reason, and starts no execution.
    bad = api.handler(api_event("api_chat_invalid"), LambdaContext("api"))
    assert bad["statusCode"] == 422 and "message" in bad["body"]
    assert stack.calls["select_agent"] == 1


def test_mastra_invoke_runs_every_function_against_the_endpoint(stack: SimpleNamespace, tmp_path: Path) -> None:
    """`mastra invoke` in a fresh process, configured only by environment variables."""
    env = dict(os.environ, MASTRA_HOME=str(tmp_path))
    results = {}
    for function, sample in [
        ("select_agent", "select_agent"),
        ("analyze_sentiment", "analyze_sentiment"),
        ("execute_agent", "execute_agent"),
        ("reflect", "reflect"),
        ("remember", "remember"),
        ("event_consumer", "event_consumer"),
        ("api", "api_chat"),
    ]:
        p = subprocess.run(
            [sys.executable, "-m", "mastra", "invoke", function, "-e", f"events/{sample}.json"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert p.returncode == 0, (function, p.stderr[-2000:])
        results[function] = json.loads(p.stdout)
    assert results["select_agent"]["selection"]["agent_id"] == "banking"
    assert results["remember"]["agent"] == "banking"
    assert results["event_consumer"] == {"batchItemFailures": []}
    assert results["api"]["statusCode"] == 200
    # remember wrote the sample turn to the server's table, the consumer its events.
    remembered = get_runtime().store
    request = api_event("remember")["request"]
    assert len(remembered.recent_messages(request["tenant_id"], request["thread_id"], 10)) == 2
    consumed = json.loads(api_event("event_consumer")["Records"][0]["body"])["events"]
    assert len(remembered.list_events(consumed[0]["tenant_id"], consumed[0]["request_id"])) == len(consumed)
    # The api call ran the state machine on the server, whose Lambda calls came back to this process.
    assert stack.calls["remember"] == 1


def test_the_data_resources_follow_the_template(stack: SimpleNamespace) -> None:
    from infra.cfn import resource

    table = boto3.client("dynamodb").describe_table(TableName=stack.env["MASTRA_TABLE_NAME"])["Table"]
    props = resource("Table")["Properties"]
    assert table["KeySchema"] == props["KeySchema"] and table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["GSI1", "GSI2"]
    backups = boto3.client("dynamodb").describe_continuous_backups(TableName=stack.env["MASTRA_TABLE_NAME"])
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
        "ENABLED"
    )
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=stack.env["MASTRA_TABLE_NAME"])
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    sqs = boto3.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=stack.env["MASTRA_EVENTS_QUEUE_URL"], AttributeNames=["All"])[
        "Attributes"
    ]
    queue = resource("EventsQueue")["Properties"]
    assert attrs["MessageRetentionPeriod"] == str(queue["MessageRetentionPeriod"])
    assert attrs["VisibilityTimeout"] == str(queue["VisibilityTimeout"])
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == queue["RedrivePolicy"]["maxReceiveCount"]
