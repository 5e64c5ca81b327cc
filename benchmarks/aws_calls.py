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

DynamoDB read and write units are computed from the items themselves with DynamoDB's sizing
rules (attribute name bytes + value bytes; numbers ≈ 1 byte per two significant digits + 1):
reads round the returned size up to 4 KB (half for eventually consistent reads, one unit at
least); writes round each item up to 1 KB, twice that inside a transaction; an item that carries
GSI1 keys is also written to the index (standard writes; an update that changes its GSI1 sort key
deletes the old index entry and puts the new one). Items carry ``expires_at`` as with the
template's default ``RetentionDays`` (365).

Scenarios: (a) a new thread's first turn, (b) a follow-up turn on that thread, (d) the sixth
turn of a thread, when the history read is full (the agents read the last 10 messages), and (c) a
turn whose answer reflection retries with the next-best agent (the banking agent is made to find
nothing).
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
    sk = item_or_key["SK"]["S"]
    if sk == "META":
        return "thread"
    if sk == "REQ":
        return "request"
    return {"M#": "message", "E#": "event"}.get(sk[:2], sk)


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
            try:
                result = real(client, operation, params)
            except Exception as exc:
                call["error"] = type(exc).__name__
                raise
            else:
                call.update(recorder._facts(service, operation, params, result))
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
            if operation == "BatchWriteItem":
                puts = [
                    r["PutRequest"]["Item"] for rs in params["RequestItems"].values() for r in rs if "PutRequest" in r
                ]
                sizes = [item_size(i) for i in puts]
                return {
                    "items": len(puts),
                    "bytes": sum(sizes),
                    "wru": sum(write_units(s) for s in sizes),
                    "kinds": dict(Counter(item_kind(i) for i in puts)),
                    "sizes": sizes,
                }
            if operation in ("PutItem", "UpdateItem"):
                return {"items": 1}
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

    def item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        with self.recorder.label("bench"):
            return self.ddb.get_item(TableName=self.env["MASTRA_TABLE_NAME"], Key=key, ConsistentRead=True).get("Item")

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
def turn_items(stack: Stack, transact: list[dict[str, Any]], before: dict[str, int]) -> list[dict[str, Any]]:
    """The items one TransactWriteItems wrote: sizes, GSI1 keys and write units."""
    rows = []
    for entry in transact:
        ((action, spec),) = entry.items()
        if action == "Put":
            item = spec["Item"]
            key = {"PK": item["PK"], "SK": item["SK"]}
        else:  # Update: the item as stored afterwards (its size is what the update is billed on)
            key = spec["Key"]
            item = stack.item(key) or {}
        kind = item_kind(key)
        if kind == "message":
            kind += f" ({item['role']['S']})"
        size = item_size(item)
        old = before.get(key["PK"]["S"] + "|" + key["SK"]["S"])
        billed = max(size, old or 0)
        gsi = "GSI1PK" in item and "GSI1SK" in item
        # A new item puts one index entry; an update that changes GSI1SK deletes the old and puts the new.
        gsi_writes = 0 if not gsi else (1 if old is None else 2)
        rows.append(
            {
                "kind": kind,
                "action": action,
                "bytes": size,
                "bytes_before": old,
                "gsi1": gsi,
                "wru_transactional": 2 * write_units(billed),
                "gsi_writes": gsi_writes,
                "wru_gsi": gsi_writes * write_units(billed),
                "pk_sk": key["PK"]["S"] + "|" + key["SK"]["S"],
            }
        )
    return rows


def run_scenario(
    stack: Stack, name: str, message: str, user_id: str, thread_id: str | None, sizes_before: dict[str, int]
) -> dict[str, Any]:
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

    arn = next(c["execution_arn"] for c in pipeline_calls if c.get("execution_arn"))
    history = stack.history(arn)
    entered = Counter(e["type"] for e in history if e["type"].endswith("StateEntered"))
    transact = next(c for c in pipeline_calls if c["operation"] == "TransactWriteItems")
    items = turn_items(stack, transact["transact"], sizes_before)
    for row in items:
        sizes_before[row["pk_sk"]] = row["bytes"]

    calls = Counter(f"{c['origin']} · {c['service']}:{c['operation']}" for c in pipeline_calls + consumer_calls)
    reads = [c for c in pipeline_calls if c["service"] == "dynamodb" and c["operation"] in ("GetItem", "Query")]
    sends = [c for c in pipeline_calls if c["service"] == "sqs" and c["operation"] == "SendMessage"]
    batch = [c for c in consumer_calls if c["operation"] == "BatchWriteItem"]
    polls = sum(1 for c in pipeline_calls if c["operation"] == "DescribeExecution")
    return {
        "scenario": name,
        "answer_agent": response["agent"],
        "reflection": response["reflection"]["verdict"],
        "attempts": [a["agent_id"] for a in response["attempts"]],
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
        "turn_items": [{k: v for k, v in r.items() if k != "pk_sk"} for r in items],
        "wru_turn_transactional": sum(r["wru_transactional"] for r in items),
        "wru_turn_gsi": sum(r["wru_gsi"] for r in items),
        "sqs_send_message": [{"bytes": c["bytes"], "events": c["events"]} for c in sends],
        "event_consumer": {
            "BatchWriteItem_calls": len(batch),
            "items": sum(c["items"] for c in batch),
            "kinds": sum((Counter(c["kinds"]) for c in batch), Counter()),
            "item_bytes": [s for c in batch for s in c["sizes"]],
            "wru": sum(c["wru"] for c in batch),
        },
    }


def force_retry(stack: Stack) -> None:
    """The banking agent finds nothing; reflection may retry even though the router is sure."""
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
            sizes: dict[str, int] = {}
            for i in range(repeat):
                user = f"user{i}"
                first = run_scenario(stack, "a", MESSAGE, user, None, sizes)
                runs["a"].append(first)
                thread = first["thread_id"]
                runs["b"].append(run_scenario(stack, "b", FOLLOW_UP, user, thread, sizes))
                for _ in range(3):  # turns 3 to 5
                    run_scenario(stack, "-", FOLLOW_UP, user, thread, sizes)
                runs["d"].append(run_scenario(stack, "d", FOLLOW_UP, user, thread, sizes))
            force_retry(stack)
            for i in range(repeat):
                runs["c"].append(run_scenario(stack, "c", MESSAGE, f"retry{i}", None, sizes))
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
    prints = [_fingerprint(r) for r in runs]
    out["identical_across_runs"] = all(p == prints[0] for p in prints)
    out["request_item_bytes_range"] = [
        min(r["turn_items"][0]["bytes"] for r in runs),
        max(r["turn_items"][0]["bytes"] for r in runs),
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
        [(t["kind"], t["gsi1"], t["wru_transactional"], t["wru_gsi"]) for t in r["turn_items"]],
        [m["events"] for m in r["sqs_send_message"]],
        (r["event_consumer"]["items"], r["event_consumer"]["wru"]),
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
    ("DynamoDB read units (RRU)", lambda s: f"{s['rru']:g}"),
    ("TransactWriteItems items", lambda s: len(s["turn_items"])),
    ("… write units, transactional (2 per KB per item)", lambda s: s["wru_turn_transactional"]),
    ("… GSI1 write units (index entries put/deleted)", lambda s: s["wru_turn_gsi"]),
    (
        "DynamoDB write units per request (turn + its events)",
        lambda s: s["wru_turn_transactional"] + s["wru_turn_gsi"] + s["event_consumer"]["wru"],
    ),
    ("SQS SendMessage calls (bytes, events)", _sends),
    (
        "event consumer: BatchWriteItem calls / items",
        lambda s: f"{s['event_consumer']['BatchWriteItem_calls']} / {s['event_consumer']['items']}",
    ),
    ("event consumer: item bytes", lambda s: ", ".join(map(str, s["event_consumer"]["item_bytes"]))),
    ("event consumer: write units (1 per KB per item)", lambda s: s["event_consumer"]["wru"]),
    ("identical across runs (polls aside)", lambda s: s["identical_across_runs"]),
]


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

    print("\n## items written per turn (TransactWriteItems)")
    print("| item | " + " | ".join(f"{TITLES[k]}: bytes · GSI1 · WRU" for k in keys) + " |\n|---" + sep)
    for i in range(max(len(sc[k]["turn_items"]) for k in keys)):
        cells = []
        for k in keys:
            r = sc[k]["turn_items"][i]
            before = f" (was {r['bytes_before']})" if r["bytes_before"] is not None else ""
            gsi = f"yes, {r['gsi_writes']} index write(s)" if r["gsi1"] else "no"
            cells.append(f"{r['bytes']} B{before} · {gsi} · {r['wru_transactional']}+{r['wru_gsi']}")
        first = sc[keys[0]]["turn_items"][i]
        print(f"| {first['action']} {first['kind']} | " + " | ".join(cells) + " |")
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
