"""AWS API calls per request through the Step Functions path, counted under moto.

    python benchmarks/aws_calls.py [--repeat 3] [--json PATH]

The whole stack is deployed into moto (``tests/awsmock.py``): the table and queues from
template.yaml, the Express state machine from the committed ASL document, and Lambda functions
whose invocations run our handlers in-process. A request goes in through the API function's
handler (``functions/api/app.py``, an API Gateway v2 event), as on AWS. Every botocore call is
counted by service and operation and attributed to whoever made it:

- ``api``: the API function (the runtime's :class:`StepFunctionsRunner` and the thread-owner check);
- a step (``select_agent`` ... ``remember``): that Lambda handler, dispatched by moto's Lambda;
- ``state machine``: moto's Step Functions interpreter itself. Its ``lambda:Invoke`` calls are
  what the state machine's Task states are on AWS: Lambda invocations;
- ``event_consumer``: ``functions/event_consumer/app.py`` fed the SQS message the pipeline sent,
  as Lambda's event source mapping would.

moto does not implement ``StartSyncExecution``, so the runner starts the execution and polls
``DescribeExecution`` (``MASTRA_PIPELINE_SYNC=false``): the polls are a moto artifact. On AWS the
API function makes one ``StartSyncExecution`` call instead.

DynamoDB read units and write units are computed from the items themselves with DynamoDB's sizing
rules (attribute name bytes + value bytes; numbers ≈ 1 byte per two significant digits + 1): reads
round the returned size up to 4 KB (half for eventually consistent reads, one unit at least). Every
DynamoDB write of the request is accounted, by caller: the API function's thread usage counters
(``UpdateItem``), Reflect's cached answer (``PutItem``), Remember's turn, its answer's outcome and
arm counters, and on a follow-up the previous answer's outcome with the implicit signals (a
``TransactWriteItems`` each; a container's first outcome of the day also puts the day's marker, a
``PutItem``: in the first run only), and the event consumer's events (``BatchWriteItem``) and stats
(``TransactWriteItems``: a seen-marker per request and a cell per agent, prompt and topic). The
recorder reads each item written before and after the call (uncounted): a write is billed on the
larger of the two, 1 WRU per started KB, twice that inside a transaction (a ``ConditionCheck`` on
the item checked). Each index entry (GSI1: the whole item; GSI2: keys, ``emb``, ``expires_at``,
``request_id``) put, deleted or changed is one standard write, two when its keys change (a delete
and a put). Items carry ``expires_at`` as with the template's default ``RetentionDays`` (365).
A write that fails (a cancelled transaction is billed too) stops the benchmark.

Scenarios: (a) a new thread's first turn, (b) a follow-up turn on that thread, (d) the sixth
turn of a thread, when the history read is full (the agents read the last 10 messages), and (c) a
turn whose answer reflection retries with the next-best agent (the banking agent is made to find
nothing, on a request no answer is cached for). Each run starts with an empty answer cache. The
first run of a scenario also reads what each container caches; its reads are reported apart.
Run on demand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# Before boto3 is imported: nothing may reach real AWS.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
)
os.environ.pop("AWS_PROFILE", None)

MESSAGE = "how do i transfer money to my savings account"
FOLLOW_UP = "and how long does a transfer to another bank take"
RETENTION_DAYS = "365"  # template.yaml's RetentionDays default: every item carries expires_at
LAMBDA_OF = {
    "SelectAgentFunction": "select_agent",
    "AnalyzeSentimentFunction": "analyze_sentiment",
    "ExecuteAgentFunction": "execute_agent",
    "ReflectFunction": "reflect",
    "RememberFunction": "remember",
}


# ---- DynamoDB sizing ---------------------------------------------------------------------------
def _number_size(text: str) -> int:
    mantissa = text.lower().split("e")[0].lstrip("+-")
    digits = mantissa.replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value by DynamoDB's item-size rules (approximate for numbers)."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return _number_size(v)
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(_number_size(n) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(x) + 1 for k, x in v.items())
    if kind == "L":
        return 3 + sum(value_size(x) + 1 for x in v)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(v) for name, v in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2


def item_kind(item_or_key: dict[str, Any]) -> str:
    pk, sk = item_or_key["PK"]["S"], item_or_key["SK"]["S"]
    named = {
        "META": "thread",
        "REQ": "request",
        "OUTCOME": "outcome",
        "USAGE": "thread usage",
        "ANSWER": "cached answer",
        "ERASED": "erasure marker",
        "SEEN": "stats marker",
        "SUMMARY": "summary",
    }
    if sk in named:
        return named[sk]
    for part, kind in (("#ARM#", "arm counter"), ("#OUTDAYS", "outcome-day marker"), ("#STATS#", "stats cell")):
        if part in pk:
            return kind
    return {"M#": "message", "E#": "event", "FB": "feedback", "WM": "working memory"}.get(sk[:2], sk)


#: The table's indexes (template.yaml): key attributes, and what an entry holds besides the keys.
INDEXES = {
    "GSI1": (("GSI1PK", "GSI1SK"), None),  # projection ALL
    "GSI2": (("GSI2PK", "GSI2SK"), ("emb", "expires_at", "request_id")),  # INCLUDE
}
TABLE_KEYS = ("PK", "SK")


def index_entry(item: dict[str, Any] | None, index: str) -> dict[str, Any] | None:
    """The item's entry in ``index`` (None if the item has no entry there)."""
    keys, include = INDEXES[index]
    if item is None or not all(k in item for k in keys):
        return None
    if include is None:
        return item
    return {k: v for k, v in item.items() if k in (*TABLE_KEYS, *keys, *include)}


def write_rows(
    operation: str, writes: list[tuple[str, dict[str, Any]]], before: list[Any], after: list[Any]
) -> list[dict[str, Any]]:
    """Each item a write call touched, billed by DynamoDB's rules.

    The table write is billed on the larger of the item before and after (1 WRU per started KB,
    2 inside a transaction; a ``ConditionCheck`` on the item checked). Each index is written
    separately (standard writes): an entry put or deleted is one write, an entry whose keys changed
    is a delete and a put, an entry whose projected attributes changed is one write.
    """
    factor = 2 if operation == "TransactWriteItems" else 1
    rows = []
    for (action, key), old, new in zip(writes, before, after, strict=True):
        shown = new if new is not None else (old or key)
        kind = item_kind(key)
        if kind == "message" and "role" in shown:
            kind += f" ({shown['role']['S']})"
        size_old = item_size(old) if old is not None else None
        size_new = item_size(new) if new is not None else None
        billed = max(size_old or 0, size_new or 0)
        index_writes, wru_index = 0, 0
        if action != "ConditionCheck":
            for index, (keys, _) in INDEXES.items():
                e_old, e_new = index_entry(old, index), index_entry(new, index)
                if e_old is None and e_new is None:
                    continue
                if e_old is None or e_new is None:
                    n = 1  # an entry put or deleted
                elif any(e_old[k] != e_new[k] for k in keys):
                    n = 2  # its keys changed: the old entry is deleted, the new one put
                else:
                    n = 0 if e_old == e_new else 1
                size = max(item_size(e_old) if e_old else 0, item_size(e_new) if e_new else 0)
                index_writes += n
                wru_index += n * write_units(size)
        rows.append(
            {
                "kind": kind,
                "action": action,
                "bytes": size_new,
                "bytes_before": size_old,
                "wru_table": factor * write_units(billed),
                "index_writes": index_writes,
                "wru_index": wru_index,
            }
        )
    return rows


def write_keys(operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, table, key) of every item a DynamoDB write call touches."""

    def key_of(item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in TABLE_KEYS}

    if operation == "PutItem":
        return [("Put", params["TableName"], key_of(params["Item"]))]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(operation[: -len("Item")], params["TableName"], params["Key"])]
    if operation == "TransactWriteItems":
        out = []
        for entry in params["TransactItems"]:
            ((action, spec),) = entry.items()
            out.append((action, spec["TableName"], key_of(spec["Item"]) if action == "Put" else spec["Key"]))
        return out
    if operation == "BatchWriteItem":
        return [
            ("Put", table, key_of(r["PutRequest"]["Item"]))
            if "PutRequest" in r
            else ("Delete", table, r["DeleteRequest"]["Key"])
            for table, requests in params["RequestItems"].items()
            for r in requests
        ]
    return []


WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


# ---- counting every botocore call --------------------------------------------------------------
class Recorder:
    """Patches ``BaseClient._make_api_call``; records who called what, with DynamoDB item facts."""

    SKIP_DIRS = (f"{os.sep}botocore{os.sep}", f"{os.sep}boto3{os.sep}", __file__)

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._local = threading.local()
        self._lock = threading.Lock()

    def _labels(self) -> list[str]:
        if not hasattr(self._local, "labels"):
            self._local.labels = []
        return self._local.labels  # type: ignore[no-any-return]

    @contextmanager
    def label(self, name: str) -> Any:
        self._labels().append(name)
        try:
            yield
        finally:
            self._labels().pop()

    def _origin(self) -> str:
        frame = sys._getframe(2)
        while frame is not None and any(d in frame.f_code.co_filename for d in self.SKIP_DIRS):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None and f"{os.sep}moto{os.sep}" in frame.f_code.co_filename:
            return "state machine"
        labels = self._labels()
        # The API function's chat runs in Starlette's thread pool, where no label was pushed.
        return labels[-1] if labels else "api"

    def install(self, monkeypatch: Any) -> None:
        from botocore.client import BaseClient

        real = BaseClient._make_api_call
        recorder = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            origin = recorder._origin()
            if origin == "bench":
                return real(client, operation, params)
            service = client.meta.service_model.service_name
            call: dict[str, Any] = {"origin": origin, "service": service, "operation": operation}
            touched = write_keys(operation, params) if service == "dynamodb" else []

            def snapshot() -> list[dict[str, Any] | None]:  # uncounted: the benchmark's own reads
                return [
                    real(client, "GetItem", {"TableName": t, "Key": k, "ConsistentRead": True}).get("Item")
                    for _, t, k in touched
                ]

            before = snapshot()
            try:
                result = real(client, operation, params)
            except Exception as exc:
                call["error"] = type(exc).__name__
                raise
            else:
                call.update(recorder._facts(service, operation, params, result))
                if touched:
                    call["writes"] = write_rows(operation, [(a, k) for a, _, k in touched], before, snapshot())
                return result
            finally:
                with recorder._lock:
                    recorder.calls.append(call)

        monkeypatch.setattr(BaseClient, "_make_api_call", counted)

    @staticmethod
    def _facts(service: str, operation: str, params: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        if service == "dynamodb":
            if operation == "GetItem":
                item = result.get("Item")
                size = item_size(item) if item else 0
                consistent = bool(params.get("ConsistentRead"))
                rru = read_units(size, consistent)
                return {"items": int(item is not None), "bytes": size, "consistent": consistent, "rru": rru}
            if operation == "Query":
                size = sum(item_size(i) for i in result.get("Items", []))
                consistent = bool(params.get("ConsistentRead"))
                return {
                    "items": result.get("Count", 0),
                    "bytes": size,
                    "consistent": consistent,
                    "index": params.get("IndexName"),
                    "rru": read_units(size, consistent),
                }
            if operation == "TransactWriteItems":
                return {"items": len(params["TransactItems"]), "transact": params["TransactItems"]}
        if service == "sqs" and operation == "SendMessage":
            attrs = params.get("MessageAttributes", {})
            attr_bytes = sum(
                len(k) + len(v.get("DataType", "")) + len(v.get("StringValue", "")) for k, v in attrs.items()
            )
            body = params["MessageBody"]
            events = len(json.loads(body).get("events", []))
            return {"bytes": len(body.encode()) + attr_bytes, "body": body, "events": events}
        if service == "lambda" and operation == "Invoke":
            name = params["FunctionName"].rsplit(":", 1)[-1]
            return {"function": LAMBDA_OF.get(name, name)}
        if service == "stepfunctions" and operation == "StartExecution":
            return {"execution_arn": result["executionArn"]}
        return {}


# ---- the stack -----------------------------------------------------------------------------------
class Stack:
    def __init__(self, home: Path) -> None:
        import boto3
        import pytest
        from moto import mock_aws
        from tests.awsmock import ROLE_ARN, deploy, dispatch_lambda_in_process

        from mastra import aws
        from mastra.invoke import load_handler_module
        from mastra.runtime import get_runtime
        from mastra.settings import get_settings

        self.mp = pytest.MonkeyPatch()
        self.mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self.mock.start()
        aws.reset()
        boto3.client("iam").create_role(
            RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )
        self.env = deploy("mastra-bench")
        for key, value in self.env.items():
            if key.startswith("MASTRA_"):
                self.mp.setenv(key, value)
        self.mp.setenv("MASTRA_HOME", str(home))
        self.mp.setenv("MASTRA_RETENTION_DAYS", RETENTION_DAYS)
        for var in ("MASTRA_AGENTS_DIR", "MASTRA_PROVIDER_OVERRIDE", "MASTRA_TENANT_ID", "MASTRA_PREBUILT_DIR"):
            self.mp.delenv(var, raising=False)
        get_settings.cache_clear()
        get_runtime.cache_clear()
        self.invocations = dispatch_lambda_in_process(self.mp)
        self.runtime = get_runtime()
        # One process plays every function: build now what each builds in its INIT phase, so that
        # start-up work does not count against the states' TimeoutSeconds.
        for name in ("agents", "sentiment", "reflector", "executor", "store", "publisher", "pipeline"):
            getattr(self.runtime, name)
        load_handler_module(REPO, "api")
        load_handler_module(REPO, "event_consumer")
        self.recorder = Recorder()
        self.recorder.install(self.mp)
        self._label_steps()
        self.ddb = boto3.client("dynamodb")
        self.sqs = boto3.client("sqs")
        self.sfn = boto3.client("stepfunctions")

    def _label_steps(self) -> None:
        """Attribute the calls a dispatched handler makes to its step."""
        from moto.awslambda.models import LambdaFunction

        dispatch = LambdaFunction._invoke_lambda
        recorder = self.recorder

        def labelled(fn: Any, event: Any = None) -> Any:
            with recorder.label(LAMBDA_OF[fn.function_name]):
                return dispatch(fn, event)

        self.mp.setattr(LambdaFunction, "_invoke_lambda", labelled)

    def close(self) -> None:
        from mastra import aws
        from mastra.runtime import get_runtime
        from mastra.settings import get_settings

        self.mp.undo()
        self.mock.stop()
        get_runtime.cache_clear()
        get_settings.cache_clear()
        aws.reset()

    # ---- one request -----------------------------------------------------------------------------
    def chat(self, message: str, user_id: str, thread_id: str | None = None) -> dict[str, Any]:
        from infra.sample_events import http_event

        from mastra.invoke import invoke_function

        body: dict[str, Any] = {"message": message, "user_id": user_id}
        if thread_id:
            body["thread_id"] = thread_id
        result = invoke_function(REPO, "api", http_event("POST", "/v1/chat", body))
        assert result["statusCode"] == 200, result
        return json.loads(result["body"])  # type: ignore[no-any-return]

    def clear_answer_cache(self) -> None:
        """Delete every cached answer (the benchmark's own calls: not counted)."""
        with self.recorder.label("bench"):
            table = self.env["MASTRA_TABLE_NAME"]
            for page in self.ddb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="PK, SK"):
                for key in page["Items"]:
                    if "#CACHE#" in key["PK"]["S"]:
                        self.ddb.delete_item(TableName=table, Key=key)

    def history(self, arn: str) -> list[dict[str, Any]]:
        with self.recorder.label("bench"):
            return self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]  # type: ignore[no-any-return]

    def drain_queue(self) -> list[str]:
        with self.recorder.label("bench"):
            url = self.env["MASTRA_EVENTS_QUEUE_URL"]
            bodies = []
            while True:
                got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not got:
                    return bodies
                for m in got:
                    bodies.append(m["Body"])
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    def consume(self, bodies: list[str]) -> dict[str, Any]:
        from infra.sample_events import sqs_event

        from mastra.invoke import invoke_function

        with self.recorder.label("event_consumer"):
            return invoke_function(REPO, "event_consumer", sqs_event(bodies))  # type: ignore[no-any-return]


# ---- a scenario ----------------------------------------------------------------------------------
def purpose(call: dict[str, Any], request_id: str) -> str:
    """What a DynamoDB write call is for, from the items it wrote."""
    kinds = {w["kind"].split(" (")[0] for w in call["writes"] if w["action"] != "ConditionCheck"}
    if "request" in kinds:
        return "turn"
    if "outcome" in kinds:
        this = any(t["Put"]["Item"]["PK"]["S"].endswith(f"#RQ#{request_id}") for t in call["transact"] if "Put" in t)
        return "outcome + arm counters" + ("" if this else " (previous answer: implicit signals)")
    if "stats marker" in kinds or "stats cell" in kinds:
        return "stats (markers + cells)"
    if kinds == {"event"}:
        return "events"
    if kinds == {"thread usage"}:
        return "thread usage counters"
    if kinds == {"cached answer"}:
        return "answer cache"
    if kinds == {"outcome-day marker"}:
        return "outcome day: a container's first outcome of the day"
    return ", ".join(sorted(kinds))


def write_calls(calls: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    out = []
    for c in calls:
        if "writes" not in c:
            continue
        rows = c["writes"]
        out.append(
            {
                "who": c["origin"],
                "operation": c["operation"],
                "purpose": purpose(c, request_id),
                "items": rows,
                "wru_table": sum(r["wru_table"] for r in rows),
                "wru_index": sum(r["wru_index"] for r in rows),
                "wru": sum(r["wru_table"] + r["wru_index"] for r in rows),
            }
        )
    return out


def run_scenario(stack: Stack, name: str, message: str, user_id: str, thread_id: str | None) -> dict[str, Any]:
    stack.drain_queue()
    stack.recorder.calls.clear()
    stack.invocations.clear()
    response = stack.chat(message, user_id, thread_id)
    pipeline_calls = list(stack.recorder.calls)
    bodies = stack.drain_queue()
    stack.recorder.calls.clear()
    consumer_result = stack.consume(bodies)
    assert consumer_result == {"batchItemFailures": []}, consumer_result
    consumer_calls = list(stack.recorder.calls)
    errors = [c for c in pipeline_calls + consumer_calls if c.get("error")]
    assert not errors, errors  # a cancelled write is billed too: the figures would not be a request's

    arn = next(c["execution_arn"] for c in pipeline_calls if c.get("execution_arn"))
    history = stack.history(arn)
    entered = Counter(e["type"] for e in history if e["type"].endswith("StateEntered"))
    writes = write_calls(pipeline_calls + consumer_calls, response["request_id"])

    calls = Counter(f"{c['origin']} · {c['service']}:{c['operation']}" for c in pipeline_calls + consumer_calls)
    reads = [c for c in pipeline_calls if c["service"] == "dynamodb" and c["operation"] in ("GetItem", "Query")]
    sends = [c for c in pipeline_calls if c["service"] == "sqs" and c["operation"] == "SendMessage"]
    polls = sum(1 for c in pipeline_calls if c["operation"] == "DescribeExecution")
    turn = next(w for w in writes if w["purpose"] == "turn")
    return {
        "scenario": name,
        "answer_agent": response["agent"],
        "reflection": response["reflection"]["verdict"],
        "attempts": [f"{a['agent_id']}:{a['action']}:{a['verdict']}" for a in response["attempts"]],
        "thread_id": response["thread_id"],
        "calls": dict(sorted(calls.items())),
        "lambda_invocations": dict(Counter(c["function"] for c in pipeline_calls if c.get("function"))),
        "lambda_invocations_total": sum(1 for c in pipeline_calls if c.get("function")),
        "stepfunctions_runner": {
            "StartExecution": sum(1 for c in pipeline_calls if c["operation"] == "StartExecution"),
            "DescribeExecution_polls_moto_artifact": polls,
            "on_aws": "1 StartSyncExecution",
        },
        "state_transitions": {
            "state_entered": sum(entered.values()),
            "by_type": dict(entered),
            "history_events": len(history),
        },
        "dynamodb_reads": [
            {k: c.get(k) for k in ("origin", "operation", "index", "items", "bytes", "consistent", "rru")}
            for c in reads
        ],
        "rru": sum(c["rru"] for c in reads),
        "dynamodb_writes": writes,
        "wru": sum(w["wru"] for w in writes),
        "request_item_bytes": next(r["bytes"] for r in turn["items"] if r["kind"] == "request"),
        "sqs_send_message": [{"bytes": c["bytes"], "events": c["events"]} for c in sends],
    }


RETRY_MESSAGE = "how can i move money into my savings account"


def force_retry(stack: Stack) -> None:
    """The banking agent finds nothing, so reflection must retry with the next-best agent.

    Its "answer" is a non-answer (``no_match``): reflection v2 does not repair an attempt that did
    not answer, it retries the next-best agent the router ranked at ``retry_min_confidence`` or
    more (lowered to 0 here, as the offline router is sure of banking). The scenario asks
    :data:`RETRY_MESSAGE`, which no other scenario asks, and each run starts with an empty answer
    cache: a cached answer would skip the banking agent (and reflection) altogether.
    """
    from mastra.providers.base import ChatMessage, CompletionResponse
    from mastra.providers.retrieval import RetrievalProvider

    real = RetrievalProvider.complete

    def banking_has_nothing(self: RetrievalProvider, request: Any) -> CompletionResponse:
        if self.no_answer.startswith("I couldn't find that in my banking"):
            return CompletionResponse(message=ChatMessage(role="assistant", content="hmm?"), stop_reason="no_match")
        return real(self, request)

    stack.mp.setattr(RetrievalProvider, "complete", banking_has_nothing)
    stack.mp.setattr(stack.runtime.reflector, "retry_min_confidence", 0.0)


def run(repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mastra-awscalls-") as home:
        stack = Stack(Path(home))
        try:
            runs: dict[str, list[dict[str, Any]]] = {"a": [], "b": [], "d": [], "c": []}
            for i in range(repeat):
                user = f"user{i}"
                stack.clear_answer_cache()  # every run's first turn is a first-time question
                first = run_scenario(stack, "a", MESSAGE, user, None)
                runs["a"].append(first)
                thread = first["thread_id"]
                runs["b"].append(run_scenario(stack, "b", FOLLOW_UP, user, thread))
                for _ in range(3):  # turns 3 to 5
                    run_scenario(stack, "-", FOLLOW_UP, user, thread)
                runs["d"].append(run_scenario(stack, "d", FOLLOW_UP, user, thread))
            force_retry(stack)
            for i in range(repeat):
                stack.clear_answer_cache()
                runs["c"].append(run_scenario(stack, "c", RETRY_MESSAGE, f"retry{i}", None))
        finally:
            stack.close()
    return {"scenarios": {k: merge(v) for k, v in runs.items()}, "repeat": repeat}


def merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One scenario's runs: the last one reported, moto's polls as a median.

    Every count and unit figure (not byte sizes, which vary with ids, timestamps and answers)
    must agree across the runs: ``identical_across_runs`` says whether they did.
    """
    polls = [r["stepfunctions_runner"]["DescribeExecution_polls_moto_artifact"] for r in runs]
    out = dict(runs[-1])
    out.pop("thread_id")
    # The first run of a scenario reads what each container caches (prompt labels and versions, arm
    # counters, agent statistics: per-container TTLs): its reads are reported apart, and the runs
    # after it must agree.
    warm = runs[1:] or runs
    prints = [_fingerprint(r) for r in warm]
    out["identical_across_runs"] = all(p == prints[0] for p in prints)
    out["writes_identical_with_first_run"] = _fingerprint(runs[0])[4] == prints[0][4]
    out["rru_first_run"] = runs[0]["rru"]
    out["wru_first_run"] = runs[0]["wru"]
    out["request_item_bytes_range"] = [
        min(r["request_item_bytes"] for r in runs),
        max(r["request_item_bytes"] for r in runs),
    ]
    out["stepfunctions_runner"]["DescribeExecution_polls_moto_artifact"] = {
        "median": statistics.median(polls),
        "min": min(polls),
        "max": max(polls),
    }
    out["calls"] = dict(runs[-1]["calls"])
    for key in out["calls"]:
        if "DescribeExecution" in key:
            out["calls"][key] = statistics.median(polls)
    return out


def _fingerprint(r: dict[str, Any]) -> Any:
    return (
        {k: v for k, v in r["calls"].items() if "DescribeExecution" not in k},
        r["lambda_invocations"],
        r["state_transitions"],
        [(d["origin"], d["operation"], d["items"], d["rru"]) for d in r["dynamodb_reads"]],
        [
            (
                w["who"],
                w["purpose"],
                [(i["kind"], i["wru_table"], i["index_writes"], i["wru_index"]) for i in w["items"]],
            )
            for w in r["dynamodb_writes"]
        ],
        [m["events"] for m in r["sqs_send_message"]],
    )


# ---- report --------------------------------------------------------------------------------------
TITLES = {"a": "(a) new thread", "b": "(b) follow-up", "d": "(d) 6th turn", "c": "(c) reflection retry"}


def _reads(s: dict[str, Any]) -> str:
    return "; ".join(
        f"{r['origin']}:{r['operation']} {r['items']}/{r['bytes']} B {'strong' if r['consistent'] else 'eventual'}"
        for r in s["dynamodb_reads"]
    )


def _invoked(s: dict[str, Any]) -> str:
    return f"{s['lambda_invocations'].get('execute_agent', 0)} / {s['lambda_invocations'].get('reflect', 0)}"


def _sends(s: dict[str, Any]) -> str:
    return ", ".join(f"1 ({m['bytes']} B, {m['events']} events)" for m in s["sqs_send_message"]) or "0"


def _writer(w: dict[str, Any]) -> str:
    return f"{w['who']} · {w['operation']} ({w['purpose']})"


def _writes_by(s: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """Per writer: calls, table WRU, index WRU."""
    out: dict[str, tuple[int, int, int]] = {}
    for w in s["dynamodb_writes"]:
        n, t, i = out.get(_writer(w), (0, 0, 0))
        out[_writer(w)] = (n + 1, t + w["wru_table"], i + w["wru_index"])
    return out


SUMMARY_ROWS: list[tuple[str, Any]] = [
    ("Lambda invocations by the state machine", lambda s: s["lambda_invocations_total"]),
    ("… of which ExecuteAgent / Reflect", _invoked),
    ("state transitions (*StateEntered events)", lambda s: s["state_transitions"]["state_entered"]),
    ("execution history events", lambda s: s["state_transitions"]["history_events"]),
    ("Step Functions calls by the runner on AWS", lambda s: "1 StartSyncExecution"),
    (
        "… under moto: StartExecution + DescribeExecution polls (median)",
        lambda s: f"1 + {s['stepfunctions_runner']['DescribeExecution_polls_moto_artifact']['median']:g}",
    ),
    ("DynamoDB reads (who:operation items/bytes, consistency)", _reads),
    ("DynamoDB read units (RRU), warm", lambda s: f"{s['rru']:g}"),
    ("… first run (cold per-container caches)", lambda s: f"{s['rru_first_run']:g}"),
    ("DynamoDB write calls", lambda s: len(s["dynamodb_writes"])),
    ("DynamoDB items written (table)", lambda s: sum(len(w["items"]) for w in s["dynamodb_writes"])),
    ("DynamoDB write units: table", lambda s: sum(w["wru_table"] for w in s["dynamodb_writes"])),
    ("DynamoDB write units: indexes (GSI1, GSI2)", lambda s: sum(w["wru_index"] for w in s["dynamodb_writes"])),
    ("**DynamoDB write units (WRU), all writes**", lambda s: f"**{s['wru']}**"),
    ("… first run (cold per-container caches: the outcome-day marker)", lambda s: s["wru_first_run"]),
    ("SQS SendMessage calls (bytes, events)", _sends),
    ("identical across runs after the first (polls aside)", lambda s: s["identical_across_runs"]),
    ("writes identical in the first run too", lambda s: s["writes_identical_with_first_run"]),
]


def _cell(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "—"
    sizes = [r["bytes"] if r["bytes"] is not None else r["bytes_before"] or 0 for r in rows]
    was = [r["bytes_before"] for r in rows if r["bytes_before"] is not None and r["action"] != "ConditionCheck"]
    size = f"{sizes[0]} B" if len(set(sizes)) == 1 else f"{min(sizes)}–{max(sizes)} B"
    before = ""
    if was:
        before = f" (was {was[0]})" if len(set(was)) == 1 else f" (was {min(was)}–{max(was)})"
    count = f"{len(rows)} × " if len(rows) > 1 else ""
    index = sum(r["index_writes"] for r in rows)
    return f"{count}{size}{before} · {sum(r['wru_table'] for r in rows)}+{sum(r['wru_index'] for r in rows)}" + (
        f" ({index} index writes)" if index else ""
    )


def report(results: dict[str, Any]) -> None:
    sc = results["scenarios"]
    keys = list(sc)
    head = "| " + " | ".join(TITLES[k] for k in keys) + " |"
    sep = "|---" * len(keys) + "|"

    def row(label: str, values: list[Any]) -> None:
        print(f"| {label} | " + " | ".join(str(v) for v in values) + " |")

    print(f"\n## AWS API calls per request (Step Functions path under moto; {results['repeat']} runs each)")
    print("| who · service:operation " + head + "\n|---" + sep)
    all_calls = sorted({c for s in sc.values() for c in s["calls"]}, key=_call_order)
    for c in all_calls:
        label = c + (" (moto artifact; AWS: 1 StartSyncExecution)" if "DescribeExecution" in c else "")
        row(label, [sc[k]["calls"].get(c, 0) for k in keys])

    print("\n## per request, summed")
    print("| figure " + head + "\n|---" + sep)
    for label, figure in SUMMARY_ROWS:
        row(label, [figure(sc[k]) for k in keys])

    print("\n## DynamoDB write units per request, by writer (calls · table WRU + index WRU)")
    print("| writer " + head + "\n|---" + sep)
    by = {k: _writes_by(sc[k]) for k in keys}
    writers = sorted({w for k in keys for w in by[k]}, key=_call_order)
    for w in writers:
        row(w, [(lambda n, t, i: f"{n} · {t}+{i}" if n else "—")(*by[k].get(w, (0, 0, 0))) for k in keys])
    row("**total WRU**", [f"**{sc[k]['wru']}**" for k in keys])

    print("\n## items written per request (bytes after (before) · table WRU + index WRU)")
    print("| writer: item " + head + "\n|---" + sep)
    lines: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for k in keys:
        for w in sc[k]["dynamodb_writes"]:
            for r in w["items"]:
                lines.setdefault(f"{_writer(w)}: {r['action']} {r['kind']}", {}).setdefault(k, []).append(r)
    for line in sorted(lines, key=_call_order):
        row(line, [_cell(lines[line].get(k, [])) for k in keys])
    for k in keys:
        s = sc[k]
        lo, hi = s["request_item_bytes_range"]
        print(
            f"- {TITLES[k]}: answered by {s['answer_agent']}, attempts {s['attempts']}, verdict {s['reflection']}; "
            f"request item {lo}–{hi} B over the runs"
        )


def _call_order(key: str) -> tuple[int, str]:
    order = ["api", "state machine", "select_agent", "analyze_sentiment", "execute_agent", "reflect", "remember"]
    who = key.split(" · ")[0]
    return (order.index(who) if who in order else len(order), key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="requests per scenario (counts must agree)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results to this JSON file")
    args = parser.parse_args()
    results = run(args.repeat)
    report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=dict) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
