"""Issue 6's "Done when", end to end with the real parts: a user gives bad feedback on an agent's
answers for a topic, and the selection for that topic changes; retraining promotes a better router;
the stats show it. Once locally (embedded SQLite runtime, the HTTP API) and once under moto.

The scenario. The router sends arithmetic such as "what is 12 times 9" to ``math`` (p ~ 0.6), with
``utility`` second (p ~ 0.4); the topic is the nearest prototype's label (``math/passage-0``). The
user dislikes math's answers on that topic and likes utility's: every math answer gets a thumbs
down, every utility answer a thumbs up, through ``POST /v1/feedback``. Nothing else is faked: the
answers, the reflection rewards the remember step assigns, the outcomes and arm counters the
feedback service keeps, the bandit that reads them, the events the stats aggregate and the
retraining export all run as deployed. The bandit never explores here (``MASTRA_BANDIT_EPSILON=0``,
see conftest): the switch is exploitation alone, once math's posterior mean
``(n0 m + reward_sum) / (n0 + n)`` falls below utility's prior mean (``m = 0.2 + 0.6 p``).
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws
from tests.apiclient import api_client
from tests.awsmock import ROLE_ARN, deploy, deploy_retraining, dispatch_lambda_in_process
from tests.functional.test_retraining import GUARD_SOURCE, REPO
from tests.functional.test_retraining_aws import IMAGE, execute, stand_in_for_sagemaker

import mastra.runtime
from mastra import aws
from mastra.agents.agentset import AgentSet
from mastra.ids import new_id
from mastra.runtime import Runtime, get_runtime
from mastra.settings import EXAMPLE_AGENTS_DIR, get_settings
from mastra.training import retraining, service
from mastra.training.kinds import kind
from mastra.training.retrain_steps import _in_validation

USER = "ana"
ASKED = "math"  # the agent the router sends arithmetic to, whose answers the user dislikes
BETTER = "utility"  # the router's second choice, whose answers the user likes
QUESTIONS = 36  # enough rows for a retraining run (RunConfig: >= 20 train, >= 5 held-out rows)


# ---- the user -------------------------------------------------------------------------------------
def ask(client: TestClient, message: str) -> dict[str, Any]:
    """One question in a new thread (no implicit signals: the reward is the explicit feedback's)."""
    r = client.post("/v1/chat", json={"message": message, "user_id": USER})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def rate(client: TestClient, answer: dict[str, Any], thumbs: str) -> float:
    """The user's thumbs on an answer; returns the answer's new reward."""
    r = client.post("/v1/feedback", json={"request_id": answer["request_id"], "user_id": USER, "thumbs": thumbs})
    assert r.status_code == 200, r.text
    return float(r.json()["reward"])


def selection(answer: dict[str, Any]) -> dict[str, Any]:
    return answer["trace"]["selection"]  # type: ignore[no-any-return]


def arithmetic(rt: Runtime, n: int) -> tuple[str, list[str]]:
    """``n`` distinct arithmetic questions of one topic that the router alone sends to math (the
    topic is the first question's), in a fixed order."""
    wordings = ["what is {a} times {b}", "what's {a} multiplied by {b}", "what is {a} multiplied by {b}"]
    candidates = [w.format(a=a, b=b) for w, a, b in itertools.product(wordings, range(11, 80), range(3, 60))]
    random.Random(6).shuffle(candidates)
    candidates.insert(0, "what is 12 times 9")
    floor = rt.settings.confidence_floor
    topic: str | None = None
    chosen: list[str] = []
    for text in candidates:
        routed = rt.router.route(text, floor=floor)
        if routed.agent_id != ASKED:
            continue
        topic = topic or routed.topic
        if routed.topic == topic:
            chosen.append(text)
        if len(chosen) == n:
            break
    assert topic is not None and len(chosen) == n
    return topic, chosen


def split_request_ids(monkeypatch: pytest.MonkeyPatch, seed: int = 6) -> None:
    """Fixed train / held-out membership for the requests to come (as fixed ids give in
    test_retraining.py): the export splits rows by a hash of the request id, and ULIDs are random,
    so each id is redrawn until its side of the split is the one a seeded draw chose. The ids stay
    real, time-ordered ULIDs."""
    rng = random.Random(seed)

    def fixed_split_id() -> str:
        held_out = rng.random() < 0.25
        while True:
            rid = new_id()
            if _in_validation(rid, 0.25) == held_out:
                return rid

    monkeypatch.setattr(mastra.runtime, "new_id", fixed_split_id)


# ---- the scenario ---------------------------------------------------------------------------------
@dataclass
class Served:
    agent: str
    router_agent: str
    reward: float


@dataclass
class Loop:
    topic: str
    fresh: str  # a question of the topic kept back: asked once retraining is done
    served: list[Served] = field(default_factory=list)

    @property
    def first_switch(self) -> int:
        """Requests (each rated down) before the better agent first served the topic."""
        return [s.agent for s in self.served].index(BETTER)

    @property
    def switched_after(self) -> int:
        """Requests served by the router's choice before the topic moved to the better agent for good."""
        agents = [s.agent for s in self.served]
        assert agents[-1] == BETTER
        last_asked = max((i for i, a in enumerate(agents) if a == ASKED), default=-1)
        return last_asked + 1


def users_rate_the_topic(client: TestClient, rt: Runtime) -> Loop:
    """The user asks the topic's questions and rates math down and utility up; returns who served each."""
    topic, questions = arithmetic(rt, QUESTIONS + 1)
    loop = Loop(topic, fresh=questions.pop())
    for text in questions:
        answer = ask(client, text)
        s = selection(answer)
        assert s["topic"] == topic and s["router_agent_id"] == ASKED, s
        assert answer["agent"] == s["agent_id"]  # the served agent's answer was kept (no repair switched it)
        reward = rate(client, answer, "down" if answer["agent"] == ASKED else "up")
        loop.served.append(Served(answer["agent"], s["router_agent_id"], reward))
    return loop


def stats_by_agent(client: TestClient) -> dict[str, dict[str, Any]]:
    body = client.get("/v1/stats", params={"by": "agent", "window": "24h"}).json()
    return {g["key"]: g for g in body["groups"]}


def assert_selection_moved(loop: Loop) -> None:
    served = [s.agent for s in loop.served]
    assert served[0] == ASKED  # before any feedback: the router's choice
    assert loop.switched_after <= 10, served
    assert set(served[loop.switched_after :]) == {BETTER}  # and it stays there
    assert all(s.router_agent == ASKED for s in loop.served)  # the router alone has not changed its mind


def assert_stats_show_it(client: TestClient, loop: Loop) -> dict[str, dict[str, Any]]:
    groups = stats_by_agent(client)
    down = sum(s.agent == ASKED for s in loop.served)
    up = len(loop.served) - down
    asked, better = groups[ASKED], groups[BETTER]
    assert (asked["requests"], asked["feedback"]["down"], asked["feedback"]["up"]) == (down, down, 0)
    assert (better["requests"], better["feedback"]["up"], better["feedback"]["down"]) == (up, up, 0)
    assert asked["reward"] == pytest.approx(sum(s.reward for s in loop.served if s.agent == ASKED) / down, abs=1e-3)
    assert asked["reward"] <= 0.25 and better["reward"] >= 0.75  # a thumbs down caps a reward, a thumbs up floors it
    return groups


def assert_promoted(rt: Runtime, result: dict[str, Any], before: int) -> dict[str, Any]:
    event: dict[str, Any] = result["event"]
    assert event["outcome"] == "promoted" and event["promoted"] is True, event["reason"]
    champion = rt.registry.champion("router")
    assert champion is not None and champion.version == event["candidate_version"] != before
    stored = rt.store.list_events(rt.settings.tenant_id, event["request_id"])
    assert [(e.type, e.body["promoted"]) for e in stored] == [("retraining.finished", True)]
    return event


def assert_the_router_now_sends_the_topic_to_the_better_agent(client: TestClient, loop: Loop) -> None:
    """A question of the topic that the old router sent to math and nobody has asked yet: the new
    champion sends it to utility by itself (``model_ttl_s`` is 0, so there is no promotion lag)."""
    s = selection(ask(client, loop.fresh))
    assert s["router_agent_id"] == BETTER and s["agent_id"] == BETTER, s


def report(where: str, loop: Loop, groups: dict[str, dict[str, Any]], event: dict[str, Any], took: float) -> None:
    m = event["metrics"]
    print(
        f"\n[{where}] topic {loop.topic}: {len(loop.served)} requests; {BETTER} first served after "
        f"{loop.first_switch} thumbs down, and every request after the first {loop.switched_after}. "
        f"reward {ASKED} {groups[ASKED]['reward']:.3f} "
        f"(down {groups[ASKED]['feedback']['down']}), {BETTER} {groups[BETTER]['reward']:.3f} "
        f"(up {groups[BETTER]['feedback']['up']}). retraining v{event['champion_version']} -> "
        f"v{event['candidate_version']}: held-out {m['champion_heldout']:.3f} -> {m['candidate_heldout']:.3f} "
        f"({m['heldout_rows']:.0f} rows), guard {m['champion_guard']:.3f} -> {m['candidate_guard']:.3f} "
        f"({m['guard_rows']:.0f} rows). {took:.1f} s\n  served: {''.join(s.agent[0] for s in loop.served)}"
    )


# ---- locally --------------------------------------------------------------------------------------
@pytest.fixture
def local(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Runtime, TestClient]]:
    runtime.settings = runtime.settings.model_copy(update={"model_ttl_s": 0.0})  # before the router is built
    split_request_ids(monkeypatch)
    yield runtime, api_client(runtime)


def test_bad_feedback_moves_the_topic_and_retraining_promotes_a_better_router_locally(
    local: tuple[Runtime, TestClient],
) -> None:
    started = time.perf_counter()
    rt, client = local
    loop = users_rate_the_topic(client, rt)
    assert_selection_moved(loop)
    groups = assert_stats_show_it(client, loop)
    before = rt.registry.champion("router")
    assert before is not None
    result = retraining.run(rt, {})  # the default guard set: every agent's spec examples
    event = assert_promoted(rt, result, before.version)
    assert_the_router_now_sends_the_topic_to_the_better_agent(client, loop)
    report("local", loop, groups, event, time.perf_counter() - started)


# ---- under moto -----------------------------------------------------------------------------------
BUCKET = "mastra-test-artifacts"


@pytest.fixture
def aws_stack(monkeypatch: pytest.MonkeyPatch, agent_cache: Path) -> Iterator[SimpleNamespace]:
    """The stack's table, queues, request state machine and retraining state machine in moto; the
    functions run in-process (tests/awsmock.py), SageMaker's job by the local stand-in."""
    AgentSet.load(EXAMPLE_AGENTS_DIR, agent_cache)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        aws.reset()
        boto3.client("iam").create_role(
            RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )
        env = deploy()
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        env |= {"MASTRA_ARTIFACTS_BUCKET": BUCKET, "RETRAINING_ROLE_ARN": ROLE_ARN, "RETRAINING_IMAGE_URI": IMAGE}
        env |= {"MASTRA_PREBUILT_DIR": str(agent_cache), "MASTRA_MODEL_TTL_S": "0"}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        get_runtime.cache_clear()
        calls = dispatch_lambda_in_process(monkeypatch)
        machine = deploy_retraining()
        jobs, _ = stand_in_for_sagemaker(monkeypatch)
        split_request_ids(monkeypatch)
        rt = get_runtime()
        # Every function shares this process: build what their INIT phases would, and register
        # version 0 as `mastra models list router` does at deploy time.
        for name in ("agents", "encoder", "sentiment", "reflector", "executor", "store", "publisher", "registry"):
            getattr(rt, name)
        service.ensure_builtin(rt, kind("router"))
        client = api_client(rt)
        yield SimpleNamespace(env=env, calls=calls, machine=machine, jobs=jobs, rt=rt, client=client)
        get_runtime.cache_clear()
        get_settings.cache_clear()
        aws.reset()


def drain_events(queue_url: str) -> int:
    """The event consumer's SQS deliveries: every queued message through functions/event_consumer."""
    from mastra.invoke import invoke_function

    sqs, consumed = boto3.client("sqs"), 0
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:events",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
        assert invoke_function(REPO, "event_consumer", {"Records": records}) == {"batchItemFailures": []}
        for m in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        consumed += len(messages)
    return consumed


def guard_in_s3() -> str:
    """The example agents' held-out question set (tests/data), as the deployment would keep it."""
    rows = [json.loads(line) for line in GUARD_SOURCE.read_text().splitlines() if line.strip()]
    body = "".join(json.dumps({"text": r["question"], "domain": r["agent"]}) + "\n" for r in rows)
    boto3.client("s3").put_object(Bucket=BUCKET, Key="guard/questions.jsonl", Body=body.encode())
    return f"s3://{BUCKET}/guard/questions.jsonl"


@pytest.mark.filterwarnings("ignore:No application metrics to publish")  # a batch of events counted before
def test_bad_feedback_moves_the_topic_and_retraining_promotes_a_better_router_under_moto(
    aws_stack: SimpleNamespace,
) -> None:
    started = time.perf_counter()
    rt, client, queue = aws_stack.rt, aws_stack.client, aws_stack.env["MASTRA_EVENTS_QUEUE_URL"]
    assert rt.settings.store == "dynamodb" and rt.settings.pipeline == "stepfunctions"
    loop = users_rate_the_topic(client, rt)
    assert aws_stack.calls["select_agent"] == len(loop.served)  # every request ran in moto's Step Functions
    assert_selection_moved(loop)
    assert drain_events(queue) > 0
    groups = assert_stats_show_it(client, loop)
    before = rt.registry.champion("router")
    assert before is not None
    config = {"kind": "router", "trainer": "sagemaker", "poll_seconds": 0, "guard": guard_in_s3()}
    result = execute(aws_stack.machine, config)
    assert result["status"] == "SUCCEEDED", result
    drain_events(queue)  # retraining.finished, through the consumer into the table
    event = assert_promoted(rt, json.loads(result["output"]), before.version)
    assert aws_stack.jobs == [event["request_id"]]  # moto recorded the one training job
    assert_the_router_now_sends_the_topic_to_the_better_agent(client, loop)
    report("moto", loop, groups, event, time.perf_counter() - started)
