"""Stats end to end: requests and feedback events -> hourly buckets -> GET /v1/stats, `mastra stats`,
the plot, the event schemas on disk, and the metrics the functions emit."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.apiclient import api_client

from mastra.events.consumer import record_batch
from mastra.events.models import EventBatch, FeedbackReceived, RewardAssigned
from mastra.models import ChatRequest, ChatResponse
from mastra.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]


def _feedback(r: ChatResponse, thumbs: str, reward: float, previous: float | None = None, revision: int = 1) -> list:
    common = dict(tenant_id="default", request_id=r.request_id, agent_id=r.agent, topic=r.agent, prompt_ref=None)
    return [
        FeedbackReceived(event_id=f"{r.request_id}:feedback.received:u", user_id="ana", thumbs=thumbs, **common),
        RewardAssigned(
            event_id=f"{r.request_id}:reward.assigned:{revision}",
            reward=reward,
            previous_reward=previous,
            revision=revision,
            **common,
        ),
    ]


def _initial_reward(runtime: Runtime, r: ChatResponse) -> float:
    """The reward the remember step assigned the answer (``reward.assigned`` revision 1)."""
    (event,) = [e for e in runtime.store.list_events("default", r.request_id) if e.type == "reward.assigned"]
    return float(event.body["reward"])


@pytest.fixture
def answered(runtime: Runtime) -> list[ChatResponse]:
    messages = ["how do i transfer money to my savings account", "what is 12 times 7", "move 50 dollars to checking"]
    return [runtime.chat(ChatRequest(message=m, user_id="ana")) for m in messages]


def test_requests_and_rewards_reach_the_summary_once_even_when_redelivered(
    runtime: Runtime, answered: list[ChatResponse]
) -> None:
    first = answered[0]
    initial = {r.request_id: _initial_reward(runtime, r) for r in answered}
    batch = EventBatch(events=_feedback(first, "down", 0.2, previous=initial[first.request_id], revision=2))
    for _ in range(3):  # SQS redelivers: counted once
        record_batch(batch, runtime.store)
    revised = EventBatch(events=_feedback(first, "down", 0.1, previous=0.2, revision=3)[1:])
    record_batch(revised, runtime.store)
    record_batch(revised, runtime.store)

    summary = runtime.stats.summary("default", by="agent", window="24h")
    assert summary["by"] == "agent" and summary["since"] < summary["until"]
    groups = {g["key"]: g for g in summary["groups"]}
    agent = groups[first.agent]
    assert agent["requests"] == sum(1 for r in answered if r.agent == first.agent)
    mine = [0.1 if r is first else initial[r.request_id] for r in answered if r.agent == first.agent]
    assert agent["reward"] == pytest.approx(sum(mine) / len(mine), abs=1e-4) and agent["feedback"] == {
        "up": 0,
        "down": 1,
        "ratings": 0,
        "comments": 0,
    }
    assert agent["errors"] == 0 and 0 <= agent["reflection_score"] <= 1
    lat = agent["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"]
    (point,) = agent["series"]
    assert point["t"] % 3600 == 0 and point["requests"] == agent["requests"] and point["reward"] == agent["reward"]
    assert sum(g["requests"] for g in summary["groups"]) == len(answered)

    prompts = runtime.stats.summary("default", by="prompt", window="1h")
    assert {g["key"].partition("@")[0] for g in prompts["groups"]} <= {r.agent for r in answered}


def test_agent_stats_are_cached_for_a_short_time(runtime: Runtime, answered: list[ChatResponse]) -> None:
    agent = answered[0].agent
    # The requests read (and cached) the figures before they were counted: look past that TTL.
    runtime.stats.clock = lambda: time.time() + runtime.stats.ttl_s + 1
    stats = runtime.stats.agent_stats("default", agent)
    assert stats is not None and stats.n >= 1 and stats.p50_ms is not None and stats.p99_ms >= stats.p50_ms
    assert runtime.stats.agent_stats("default", "no-such-agent") is None
    runtime.chat(ChatRequest(message="how do i transfer money to my savings account", user_id="bo"))
    assert runtime.stats.agent_stats("default", agent) == stats  # within the TTL: the cached figures
    runtime.stats.clock = lambda: time.time() + 2 * (runtime.stats.ttl_s + 1)  # the TTL has passed
    assert runtime.stats.agent_stats("default", agent).n == stats.n + 1  # type: ignore[union-attr]


def test_get_stats_and_bad_parameters(runtime: Runtime, answered: list[ChatResponse]) -> None:

    client = api_client(runtime)
    body = client.get("/v1/stats", params={"window": "24h", "by": "topic"}).json()
    assert set(body) == {"by", "since", "until", "groups"} and body["by"] == "topic"
    group = body["groups"][0]
    assert set(group) == {
        "key",
        "requests",
        "latency_ms",
        "reflection_score",
        "reward",
        "feedback",
        "errors",
        "screening",
        "series",
    }
    assert set(group["series"][0]) == {"t", "requests", "reward", "latency_p50"}
    assert body == json.loads(json.dumps(runtime.stats.summary("default", body["since"], body["until"], "topic")))
    for params, reason in [({"window": "3x"}, "window"), ({"by": "user"}, "by"), ({"window": "400d"}, "90d")]:
        response = client.get("/v1/stats", params=params)
        assert response.status_code == 422 and reason in response.json()["message"], response.json()


def test_cli_table_json_and_plot(runtime: Runtime, answered: list[ChatResponse], tmp_path: Path, capsys: Any) -> None:
    import mastra.runtime
    from mastra.cli import main

    mastra.runtime.get_runtime.cache_clear()
    pytest.MonkeyPatch().setattr(mastra.runtime, "get_runtime", lambda: runtime)
    try:
        assert main(["stats"]) == 0
        out = capsys.readouterr().out
        assert out.splitlines()[0].split()[:3] == ["agent", "requests", "errors"] and answered[0].agent in out
        assert main(["stats", "--by", "prompt", "--window", "2h", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["by"] == "prompt"
        png = tmp_path / "out" / "stats.png"
        assert main(["stats", "--plot", str(png)]) == 0
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
        from PIL import Image  # matplotlib's own dependency

        with Image.open(png) as image:
            image.verify()
        assert main(["stats", "--window", "1w"]) == 2
        assert "window '1w'" in capsys.readouterr().err
    finally:
        pytest.MonkeyPatch().undo()


def test_plot_without_matplotlib_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import builtins

    from mastra.stats.plot import plot_summary

    real = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'mastra\[plot\]'"):
        plot_summary({"by": "agent", "since": 0, "until": 1, "groups": []}, tmp_path / "x.png")


def test_committed_event_schemas_match_the_models() -> None:
    from mastra.events import schemas

    assert schemas.stale(REPO / "docs" / "events") == [], "run `mastra events schemas --write`"
    names = sorted(p.name for p in (REPO / "docs" / "events").glob("*.schema.json"))
    for kind in ("request.completed", "feedback.received", "reward.assigned", "agent.completed"):
        assert f"{kind}.v1.schema.json" in names
    schema = json.loads((REPO / "docs/events/reward.assigned.v1.schema.json").read_text())
    assert {"reward", "previous_reward", "revision", "components"} <= set(schema["properties"])


def test_schema_check_fails_on_drift(tmp_path: Path, capsys: Any) -> None:
    from mastra.cli import main

    out = tmp_path / "events"
    assert main(["events", "schemas", "--write", "--output", str(out)]) == 0
    assert main(["events", "schemas", "--check", "--output", str(out)]) == 0
    (out / "request.completed.v1.schema.json").write_text("{}")
    (out / "gone.v1.schema.json").write_text("{}")
    assert main(["events", "schemas", "--check", "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "request.completed.v1.schema.json" in err and "gone.v1.schema.json" in err


def _emf(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_functions_emit_metrics_the_dashboard_reads(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """Powertools writes EMF to stdout on flush: the consumer's metrics count each event once."""
    import mastra.runtime
    import mastra.steps
    from mastra.invoke import invoke_function
    from mastra.stats.metrics import METRIC_NAMES

    monkeypatch.setattr(mastra.steps, "get_runtime", lambda: runtime)
    monkeypatch.setattr(mastra.runtime, "get_runtime", lambda: runtime)
    r = runtime.chat(ChatRequest(message="what is 12 times 7", user_id="ana"))
    from mastra.events.build import events_for_turn
    from mastra.models import RequestContext

    record = runtime.store.get_request("default", r.request_id)
    assert record is not None
    context = RequestContext(
        request_id=r.request_id, tenant_id="default", user_id="ana", thread_id=r.thread_id,
        message="what is 12 times 7", received_at=record.created_at,
    )  # fmt: skip
    events = events_for_turn(context, r) + _feedback(r, "up", 0.8, previous=_initial_reward(runtime, r), revision=2)
    body = EventBatch(events=events).model_dump_json()
    sqs = {
        "Records": [
            {
                "messageId": "m1",
                "receiptHandle": "h",
                "body": body,
                "attributes": {},
                "messageAttributes": {"request_id": {"stringValue": r.request_id, "dataType": "String"}},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q",
                "awsRegion": "us-east-1",
            }
        ]
    }
    capsys.readouterr()
    assert invoke_function(REPO, "event_consumer", sqs) == {"batchItemFailures": []}
    (blob,) = _emf(capsys.readouterr().err)  # `invoke` sends the function's stdout to stderr
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Mastra" and directive["Dimensions"] == [["service"]]
    names = {m["Name"] for m in directive["Metrics"]}
    # The local run already counted the request's own events: only the feedback is new here.
    assert names == {"Reward", "FeedbackUp"} and blob["Reward"] in (0.8, [0.8])
    invoke_function(REPO, "event_consumer", sqs)  # redelivered: nothing new, no metrics
    assert not any({"Reward", "Requests"} & set(b) for b in _emf(capsys.readouterr().err))

    out = invoke_function(REPO, "select_agent", json.loads((REPO / "events/select_agent.json").read_text()))
    assert out["selection"]["agent_id"]
    (blob,) = _emf(capsys.readouterr().err)
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert sorted(directive["Dimensions"][0]) == ["service", "step"] and blob["step"] == "select_agent"
    assert directive["Metrics"][0]["Name"] == "StepLatency" and blob["StepLatency"][0] > 0
    assert {"StepLatency", "Reward", "FeedbackUp", "Requests"} <= METRIC_NAMES


def test_sqlite_forgets_markers_no_redelivery_can_reach(tmp_path: Path) -> None:
    """DynamoDB's TTL expires stats markers; the embedded store forgets them itself, once an hour."""
    from mastra.stats.models import BucketKey, Update
    from mastra.stats.sqlite import SQLiteStatsStore
    from mastra.stats.store import MARKER_TTL_S
    from mastra.storage.sqlite_db import SQLiteDatabase

    now = [1_800_000_000.0]
    stats = SQLiteStatsStore(SQLiteDatabase(tmp_path / "m.db"), clock=lambda: now[0])

    def update(event_id: str, at: float) -> Update:
        return Update("default", event_id, at, {BucketKey("agent", "banking", int(at // 3600)): {"requests": 1.0}})

    def markers() -> set[str]:
        return {r[0] for r in stats.db.conn().execute("SELECT event_id FROM stats_seen")}

    stats.apply([update("a", now[0])])
    assert markers() == {"a"}
    now[0] += MARKER_TTL_S + 1  # no redelivery of "a" can come now
    stats.apply([update("b", now[0])])
    assert markers() == {"b"}
    now[0] += 60  # within the hour: no purge yet, even of a marker already too old
    stats.apply([update("c", now[0]), update("d", now[0] - MARKER_TTL_S - 5)])
    assert markers() == {"b", "c", "d"}
    now[0] += stats.PURGE_EVERY_S
    stats.apply([update("e", now[0])])
    assert markers() == {"b", "c", "e"}


def test_replaced_feedback_moves_the_counts(runtime: Runtime, answered: list[ChatResponse]) -> None:
    """Thumbs down, then up with a rating: the agent's counts are the latest feedback's, once."""
    from mastra.feedback.models import FeedbackRequest

    r = answered[0]
    runtime.feedback.submit("default", FeedbackRequest(request_id=r.request_id, user_id="ana", thumbs="down"))
    changed = FeedbackRequest(request_id=r.request_id, user_id="ana", thumbs="up", rating=4, comment="better")
    runtime.feedback.submit("default", changed)
    group = {g["key"]: g for g in runtime.stats.summary("default", by="agent", window="1h")["groups"]}[r.agent]
    assert group["feedback"] == {"up": 1, "down": 0, "ratings": 1, "comments": 1}
