"""Every Lambda handler runs on its sample event, in-process (`mastra invoke`, the twin of `sam local invoke`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mastra.invoke import invoke_function
from mastra.pipeline import STEPS
from mastra.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def use_runtime(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    import mastra.runtime
    import mastra.steps

    monkeypatch.setattr(mastra.steps, "get_runtime", lambda: runtime)
    monkeypatch.setattr(mastra.runtime, "get_runtime", lambda: runtime)
    return runtime


def event(name: str) -> dict:
    return json.loads((REPO / "events" / f"{name}.json").read_text())  # type: ignore[no-any-return]


def test_every_step_has_a_handler_and_a_sample_event() -> None:
    for step in STEPS:
        assert (REPO / "functions" / step / "app.py").exists(), step
        assert (REPO / "events" / f"{step}.json").exists(), step


def test_select_agent_handler(use_runtime: Runtime) -> None:
    out = invoke_function(REPO, "select_agent", event("select_agent"))
    selection = out["selection"]
    assert selection["agent_id"] == "banking" and selection["ranked"] and 0 < selection["confidence"] <= 1
    assert len(out["encoding"]["embedding"]) == use_runtime.encoder.dim


def test_analyze_sentiment_handler(use_runtime: Runtime) -> None:
    out = invoke_function(REPO, "analyze_sentiment", event("analyze_sentiment"))
    assert out["label"] in {"negative", "neutral", "positive"}


def test_sentiment_reads_the_encoding_selection_handed_on_without_encoding_again(
    use_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = event("analyze_sentiment")
    sample.pop("encoding", None)  # the sample's encoding is of its own message, not this one
    sample["request"]["message"] = "this is the worst bank ever, you lost my money"
    own = invoke_function(REPO, "analyze_sentiment", sample)
    encoding = invoke_function(REPO, "select_agent", sample)["encoding"]

    def no_second_pass(text: str) -> None:
        raise AssertionError("encoded twice")

    monkeypatch.setattr(use_runtime.encoder, "encode", no_second_pass)
    handed_on = invoke_function(REPO, "analyze_sentiment", {**sample, "encoding": encoding})
    assert handed_on["label"] == own["label"] == "negative"
    assert abs(handed_on["score"] - own["score"]) < 1e-3


def test_execute_agent_handler(use_runtime: Runtime) -> None:
    out = invoke_function(REPO, "execute_agent", event("execute_agent"))
    assert out["agent_id"] == "banking" and out["answer"] and out["provider"] == "retrieval"


def test_reflect_handler(use_runtime: Runtime) -> None:
    out = invoke_function(REPO, "reflect", event("reflect"))
    assert out["verdict"] == "accept" and 0 <= out["score"] <= 1


def test_remember_handler_stores_the_turn_once(use_runtime: Runtime) -> None:
    for _ in range(2):  # Step Functions may retry a task: the turn is stored once
        out = invoke_function(REPO, "remember", event("remember"))
    assert out["agent"] == "banking" and "remember" in out["timings_ms"]
    assert len(use_runtime.store.recent_messages("default", out["thread_id"], 10)) == 2


def test_event_consumer_stores_a_batch_once(use_runtime: Runtime) -> None:
    sample = event("event_consumer")
    for _ in range(2):  # SQS delivers at least once: a redelivered batch is stored once
        assert invoke_function(REPO, "event_consumer", sample) == {"batchItemFailures": []}
    batch = json.loads(sample["Records"][0]["body"])
    stored = use_runtime.store.list_events("default", batch["events"][0]["request_id"])
    assert [e.event_id for e in stored] == [e["event_id"] for e in batch["events"]]


def test_event_consumer_reports_only_the_bad_messages(use_runtime: Runtime) -> None:
    good = event("event_consumer")["Records"][0]
    unknown = json.loads(good["body"])
    unknown["events"][0] = dict(unknown["events"][0], version=99, event_id="x:request.received")
    records = [
        dict(good, messageId="bad-json", body="{not json"),
        good,
        dict(good, messageId="unknown-version", body=json.dumps(unknown)),
        dict(good, messageId="not-a-batch", body=json.dumps({"type": "request.received"})),
    ]
    out = invoke_function(REPO, "event_consumer", {"Records": records})
    assert out == {"batchItemFailures": [{"itemIdentifier": m} for m in ("bad-json", "unknown-version", "not-a-batch")]}
    # The good message was stored; nothing of the unknown batch was (it is parked whole, then redriven).
    assert len(use_runtime.store.list_events("default", json.loads(good["body"])["events"][0]["request_id"])) == 4


def test_event_consumer_fails_the_whole_batch_when_the_store_is_down(
    use_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from mastra.errors import StorageError

    def down(records: object) -> None:
        raise StorageError("table is throttled")

    monkeypatch.setattr(use_runtime.store, "record_events", down)
    with pytest.raises(BatchProcessingError):  # all failed: Lambda errors and SQS redelivers everything
        invoke_function(REPO, "event_consumer", event("event_consumer"))


def test_bad_events_fail_with_a_named_error(use_runtime: Runtime) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        invoke_function(REPO, "select_agent", {"request": {"message": "no ids"}})


def test_mastra_invoke_prints_only_the_result_on_stdout(tmp_path: Path) -> None:
    env = dict(os.environ, MASTRA_HOME=str(tmp_path))
    p = subprocess.run(
        [sys.executable, "-m", "mastra", "invoke", "select_agent", "-e", "events/select_agent.json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["selection"]["agent_id"] == "banking"
    assert "inject_lambda_context" not in p.stdout
