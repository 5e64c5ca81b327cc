"""Feedback through the API and the pipeline: explicit feedback, implicit signals, rewards, events, erasure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.apiclient import api_client

from mastra.models import ChatRequest, ChatResponse, RequestContext
from mastra.runtime import Runtime
from mastra.settings import Settings


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return api_client(runtime)


def chat(client: TestClient, message: str, user: str = "ana", thread: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "user_id": user}
    if thread:
        body["thread_id"] = thread
    r = client.post("/v1/chat", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_each_answer_gets_an_outcome_scored_on_reflection(client: TestClient) -> None:
    r = chat(client, "how do i transfer money to my savings account")
    view = client.get(f"/v1/feedback/{r['request_id']}").json()
    o = view["outcome"]
    assert view["feedback"] == []
    assert (o["agent_id"], o["topic"], o["revision"]) == (r["agent"], r["trace"]["selection"]["topic"] or r["agent"], 1)
    assert o["prompt_ref"] == r["trace"]["executions"][-1]["prompt"]["ref"]
    assert o["router"] == r["trace"]["selection"]["router"] and o["sentiment_model"] == r["trace"]["sentiment"]["model"]
    assert o["reward"] == pytest.approx(r["reflection"]["score"], abs=1e-6) and o["components"] == {
        "reflection": pytest.approx(r["reflection"]["score"], abs=1e-6)
    }


def test_feedback_is_stored_scored_and_replaced_idempotently(client: TestClient, runtime: Runtime) -> None:
    r = chat(client, "how do i transfer money to my savings account")
    rid, score = r["request_id"], r["reflection"]["score"]
    up = client.post("/v1/feedback", json={"request_id": rid, "user_id": "ana", "thumbs": "up", "rating": 5})
    assert up.status_code == 200, up.text
    body = up.json()
    assert body["replaced"] is False and body["reward"] == pytest.approx(0.75 + 0.25 * score, abs=1e-6)
    assert body["comment_sentiment"] is None
    down = client.post(
        "/v1/feedback",
        json={"request_id": rid, "user_id": "ana", "thumbs": "down", "comment": "useless, it did not help at all"},
    ).json()
    assert down["replaced"] is True and down["created_at"] == body["created_at"]
    assert down["comment_sentiment"]["label"] == "negative" and down["rating"] is None
    assert down["reward"] < 0.25  # a thumbs-down caps the reward at 0.25
    view = client.get(f"/v1/feedback/{rid}").json()
    assert len(view["feedback"]) == 1 and view["feedback"][0]["thumbs"] == "down"
    assert view["outcome"]["revision"] == 3 and view["outcome"]["feedback"]["has_comment"] is True
    # The events: feedback.received twice, reward.assigned per revision.
    events = runtime.store.list_events("default", rid)
    assert [e.event_id.split(":", 1)[1] for e in events if e.type == "reward.assigned"] == [
        "reward.assigned:1",
        "reward.assigned:2",
        "reward.assigned:3",
    ]
    received = [e.body for e in events if e.type == "feedback.received"]
    assert [(e["thumbs"], e["replaced"]) for e in received] == [("up", False), ("down", True)]
    last = next(e.body for e in events if e.event_id.endswith("reward.assigned:3"))
    assert last["previous_reward"] == pytest.approx(body["reward"]) and last["reward"] == pytest.approx(down["reward"])
    # The arm counters count the answer once, with its latest reward.
    stats = runtime.feedback.arm_stats("default", view["outcome"]["topic"])
    n, total = stats[r["agent"]]
    assert n == pytest.approx(1.0, rel=0.01) and total == pytest.approx(down["reward"], rel=0.01)


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"request_id": "no-such-request", "user_id": "ana", "thumbs": "up"}, 404, "not_found"),
        ({"user_id": "ana", "thumbs": "up"}, 422, None),
        ({"request_id": "{rid}", "user_id": "ana"}, 422, None),  # nothing given
        ({"request_id": "{rid}", "user_id": "ana", "rating": 6}, 422, None),
        ({"request_id": "{rid}", "user_id": "ana", "thumbs": "sideways"}, 422, None),
        ({"request_id": "{rid}", "user_id": "ana", "thumbs": "up", "extra": 1}, 422, None),
        ({"request_id": "{rid}", "user_id": "mallory", "thumbs": "down"}, 409, "conflict"),
    ],
)
def test_bad_feedback_is_refused_with_a_reason(
    client: TestClient, body: dict[str, Any], status: int, error: str | None
) -> None:
    rid = chat(client, "what is 12 times 7")["request_id"]
    body = {k: (v.format(rid=rid) if isinstance(v, str) else v) for k, v in body.items()}
    r = client.post("/v1/feedback", json=body)
    assert r.status_code == status, r.text
    if error:
        assert r.json()["error"] == error
    assert client.get("/v1/feedback/no-such-request").status_code == 404


def test_a_follow_up_attaches_implicit_signals_to_the_previous_answer(client: TestClient) -> None:
    first = chat(client, "how do i transfer money to my savings account")
    second = chat(client, "thanks, that was really helpful! what's the weather like today", thread=first["thread_id"])
    o = client.get(f"/v1/feedback/{first['request_id']}").json()["outcome"]
    implicit = o["implicit"]
    assert implicit["next_request_id"] == second["request_id"]
    assert implicit["rephrased"] is False and implicit["similarity"] < 0.70
    assert implicit["next_message_sentiment"] == pytest.approx(second["sentiment"]["score"], abs=1e-6)
    assert o["revision"] == 2 and set(o["components"]) == {"rephrase", "next_sentiment", "reflection"}
    # (2 * 1 [no rephrase] + 1 * (sentiment + 1) / 2 + 1 * reflection) / 4
    expected = (2 + (second["sentiment"]["score"] + 1) / 2 + first["reflection"]["score"]) / 4
    assert o["reward"] == pytest.approx(expected, abs=1e-5)
    # The second answer has its own outcome, with no implicit signals yet.
    assert client.get(f"/v1/feedback/{second['request_id']}").json()["outcome"]["implicit"] is None


def test_a_rephrase_marks_the_previous_answer_as_a_miss(client: TestClient) -> None:
    first = chat(client, "how do i transfer money to my savings account")
    chat(client, "how can i move money into my savings", thread=first["thread_id"])
    o = client.get(f"/v1/feedback/{first['request_id']}").json()["outcome"]
    assert o["implicit"]["rephrased"] is True and o["implicit"]["similarity"] >= 0.70
    assert o["components"]["rephrase"] == 0.0
    # (2 * 0 + 1 * next_sentiment + 1 * reflection) / 4 <= 0.5
    assert o["reward"] <= 0.5 < first["reflection"]["score"]


def test_a_retried_remember_step_counts_the_answer_once(runtime: Runtime) -> None:
    """Remember is retried by Step Functions: the outcome and the counters must not move twice."""
    r = runtime.chat(ChatRequest(message="how do i transfer money to my savings account", user_id="ana"))
    o = runtime.feedback.get("default", r.request_id).outcome
    assert o is not None
    context = RequestContext(
        request_id=r.request_id,
        tenant_id="default",
        user_id="ana",
        thread_id=r.thread_id,
        message="how do i transfer money to my savings account",
        received_at=o.created_at - 1,
        new_thread=True,
    )
    runtime.feedback.on_turn(context, ChatResponse.model_validate(r.model_dump()))
    again = runtime.feedback.get("default", r.request_id).outcome
    assert again == o
    rewards = [e for e in runtime.store.list_events("default", r.request_id) if e.type == "reward.assigned"]
    assert [e.event_id for e in rewards] == [f"{r.request_id}:reward.assigned:1"]  # re-published, stored once
    assert runtime.feedback.arm_stats("default", o.topic)[o.agent_id][0] == pytest.approx(1.0, rel=0.01)


def test_erasing_a_user_or_deleting_a_thread_removes_feedback_and_outcomes(client: TestClient) -> None:
    a = chat(client, "how do i transfer money to my savings account")
    b = chat(client, "what is 12 times 7")
    keep = chat(client, "what is 12 times 7", user="bob")
    for r, user in ((a, "ana"), (b, "ana"), (keep, "bob")):
        assert (
            client.post("/v1/feedback", json={"request_id": r["request_id"], "user_id": user, "rating": 4}).status_code
            == 200
        )
    assert client.delete(f"/v1/threads/{a['thread_id']}").json()["other"] >= 2
    assert client.get(f"/v1/feedback/{a['request_id']}").status_code == 404
    erased = client.delete("/v1/users/ana")
    assert erased.status_code == 200, erased.text
    assert client.get(f"/v1/feedback/{b['request_id']}").status_code == 404
    assert len(client.get(f"/v1/feedback/{keep['request_id']}").json()["feedback"]) == 1


# ---- the same under moto (DynamoDB) ------------------------------------------------------------------------
@pytest.fixture
def ddb_runtime(settings: Settings, agent_cache: Path) -> Iterator[Runtime]:
    import boto3
    from moto import mock_aws
    from tests.awsmock import create_table

    from mastra.agents.agentset import AgentSet
    from mastra.storage.dynamodb import DynamoDBStore

    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, "mastra-feedback")
        rt = Runtime(
            settings.model_copy(update={"store": "dynamodb", "table_name": "mastra-feedback"}),
            store=DynamoDBStore("mastra-feedback", client=client),
            sleep=lambda s: None,
            strict_json=True,
        )
        rt.__dict__["agents"] = AgentSet.load(settings.agents_dir, agent_cache)
        yield rt


def test_feedback_loop_on_dynamodb(ddb_runtime: Runtime) -> None:
    client = api_client(ddb_runtime)
    first = chat(client, "how do i transfer money to my savings account")
    chat(client, "how can i move money into my savings", thread=first["thread_id"])
    rid = first["request_id"]
    r = client.post("/v1/feedback", json={"request_id": rid, "user_id": "ana", "thumbs": "down"})
    assert r.status_code == 200 and r.json()["reward"] < 0.25
    again = client.post("/v1/feedback", json={"request_id": rid, "user_id": "ana", "thumbs": "up"}).json()
    assert again["replaced"] is True and again["reward"] >= 0.75
    view = client.get(f"/v1/feedback/{rid}").json()
    assert view["outcome"]["implicit"]["rephrased"] is True and len(view["feedback"]) == 1
    topic = view["outcome"]["topic"]
    n, _ = ddb_runtime.feedback.arm_stats("default", topic)[first["agent"]]
    assert n == pytest.approx(2.0, rel=0.01)  # both answers of the thread, once each
    exported = list(ddb_runtime.feedback.outcomes("default", 0, 4e9))
    assert {o.request_id for o in exported} >= {rid} and len(exported) == 2
    client.delete("/v1/users/ana")
    assert client.get(f"/v1/feedback/{rid}").status_code == 404
    assert list(ddb_runtime.feedback.outcomes("default", 0, 4e9)) == []


def test_the_cli_rates_an_answer_and_shows_its_outcome(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    def mastra(*args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, MASTRA_HOME=str(tmp_path / "home"))
        return subprocess.run(
            [sys.executable, "-m", "mastra", *args], env=env, capture_output=True, text=True, timeout=120
        )

    chat = mastra("chat", "--json", "how do i transfer money to my savings account")
    assert chat.returncode == 0, chat.stderr
    rid = json.loads(chat.stdout)["request_id"]
    rated = mastra("feedback", rid, "--down", "--rating", "2", "--json")
    assert rated.returncode == 0, rated.stderr
    assert json.loads(rated.stdout)["thumbs"] == "down" and json.loads(rated.stdout)["rating"] == 2
    shown = json.loads(mastra("feedback", rid, "--json").stdout)
    assert shown["outcome"]["feedback"]["thumbs"] == "down" and shown["outcome"]["reward"] < 0.5
    missing = mastra("feedback", "no-such-request", "--up")
    assert missing.returncode == 2 and "no request" in missing.stderr
