"""The `mastra` command as a user runs it: a fresh process per command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def mastra(*args: str, home: Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MASTRA_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "mastra", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-home")


def test_chat_json_has_the_documented_keys(home: Path) -> None:
    p = mastra("chat", "--json", "how do i transfer money to my savings account", home=home)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert {
        "answer",
        "agent",
        "confidence",
        "sentiment",
        "reflection",
        "timings_ms",
        "request_id",
        "thread_id",
    } <= set(out)
    assert {"label", "score"} <= set(out["sentiment"]) and {"verdict", "score"} <= set(out["reflection"])
    assert out["agent"] == "banking" and (home / "mastra.db").exists()


def test_chat_prints_the_answer_and_a_trace_and_continues_a_thread(home: Path) -> None:
    p = mastra("chat", "what is 15 times 23", "--user", "bob", home=home)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "15 × 23 = 345"
    for label in ("agent", "sentiment", "reflection", "tool", "thread", "timings ms"):
        assert any(line.strip().startswith(label) for line in lines), (label, p.stdout)
    thread = next(line.split()[1] for line in lines if line.strip().startswith("thread"))
    again = mastra("chat", "--json", "thanks a lot!", "--user", "bob", "--thread", thread, home=home)
    assert json.loads(again.stdout)["thread_id"] == thread
    other = mastra("chat", "hi", "--user", "eve", "--thread", thread, home=home)
    assert other.returncode == 2 and "belongs to another user" in other.stderr


def test_bad_input_is_a_clear_error(home: Path) -> None:
    p = mastra("chat", "   ", home=home)
    assert p.returncode == 2 and "message" in p.stderr and "Traceback" not in p.stderr


def test_bad_agent_directory_names_the_file_field_and_reason(tmp_path: Path, home: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: broken\nname: Broken\ndescription: x\nmodel: {temperature: 9}\n")
    p = mastra("--agents-dir", str(tmp_path), "chat", "hi", home=home)
    assert p.returncode == 2
    assert "broken.yaml: model.temperature: Input should be less than or equal to 2" in p.stderr


def test_schema_agents_validate_and_pipeline(home: Path) -> None:
    schema = json.loads(mastra("schema", home=home).stdout)
    assert schema["title"] == "AgentSpec" and "capabilities" in schema["properties"]
    agents = json.loads(mastra("agents", "--json", home=home).stdout)
    assert len(agents) >= 11 and sum(a["fallback"] for a in agents) == 1
    ok = mastra("validate", "layers/core/mastra/examples/agents", home=home)
    assert ok.returncode == 0 and "agents OK" in ok.stdout
    check = mastra("pipeline", "asl", "--check", home=home)
    assert check.returncode == 0, check.stderr


def test_an_unusable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    p = mastra("chat", "--json", "hello", home=not_a_dir)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert json.loads(p.stderr.strip().splitlines()[-1])["error"] == "storage_unavailable"


def test_models_list_promote_and_rollback(tmp_path: Path) -> None:
    from mastra.registry import LocalArtifacts, ModelRegistry
    from mastra.storage import SQLiteStore

    store = SQLiteStore(tmp_path / "mastra.db")
    registry = ModelRegistry(store, LocalArtifacts(tmp_path / "artifacts"), tmp_path / "cache")
    for i in (1, 2):
        built = tmp_path / f"built{i}"
        built.mkdir()
        (built / "model.bin").write_bytes(bytes([i]))
        registry.register("router", built, metrics={"accuracy": 0.9 + i / 100}, data={"train": {"rows": 100 * i}})
    store.close()
    assert mastra("models", "promote", "router", "--version", "2", home=tmp_path).returncode == 0
    listed = json.loads(mastra("models", "list", "router", "--json", home=tmp_path).stdout)
    assert [(v["version"], v["status"]) for v in listed] == [(1, "candidate"), (2, "champion")]
    p = mastra("models", "rollback", "router", "--version", "1", home=tmp_path)
    assert p.returncode == 0 and "version 1 is the champion" in p.stdout
    table = mastra("models", "list", "router", home=tmp_path).stdout
    assert "champion" in table.splitlines()[0] and "retired" in table.splitlines()[1] and "rows 200" in table
    missing = mastra("models", "promote", "router", "--version", "7", home=tmp_path)
    assert missing.returncode == 2 and "no router model version 7" in missing.stderr
