"""`mastra memory ...` in-process: threads, messages, profiles, deletion, erasure, retention, purge."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.functional.test_memory_api import agents_with_working_memory

from mastra.cli import main
from mastra.models import ChatRequest
from mastra.runtime import Runtime
from mastra.settings import Settings


@pytest.fixture
def rt(tmp_path: Path, settings: Settings, agent_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """The process runtime `mastra` uses, over agents that declare working-memory fields."""
    import mastra.runtime
    from mastra.agents.agentset import AgentSet

    agents = agents_with_working_memory(tmp_path)
    runtime = Runtime(settings.model_copy(update={"agents_dir": agents}), sleep=lambda s: None, strict_json=True)
    runtime.__dict__["agents"] = AgentSet.load(agents, agent_cache)
    monkeypatch.setattr(mastra.runtime, "get_runtime", lambda: runtime)
    yield runtime
    runtime.store.close()


def ask(rt: Runtime, message: str, user: str = "ana", thread: str | None = None) -> Any:
    return rt.chat(ChatRequest(message=message, user_id=user, thread_id=thread))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["memory", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_threads_and_messages(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    first = ask(rt, "hi there")
    ask(rt, "tell me a joke", thread=first.thread_id)
    second = ask(rt, "what is 15 times 23")

    status, out, _ = run(capsys, "threads", "--user", "ana", "--json")
    assert status == 0
    page = json.loads(out)
    assert [t["thread_id"] for t in page["items"]] == [second.thread_id, first.thread_id]
    assert page["next_cursor"] is None

    status, out, _ = run(capsys, "threads", "--user", "ana")
    assert status == 0 and first.thread_id in out and "4 messages" in out

    status, out, _ = run(capsys, "messages", first.thread_id, "--limit", "3", "--json")
    page = json.loads(out)
    assert [m["content"] for m in page["items"]][::2] == ["hi there", "tell me a joke"] and page["next_cursor"]
    status, out, _ = run(capsys, "messages", first.thread_id, "--limit", "3", "--cursor", page["next_cursor"])
    assert status == 0 and len(out.strip().splitlines()) == 1 and out.startswith("20")  # the one left

    status, out, _ = run(capsys, "messages", first.thread_id)
    assert "user: hi there" in out and "assistant (" in out

    status, out, _ = run(capsys, "threads", "--user", "nobody")
    assert status == 0 and "no threads for nobody" in out


def test_profile_set_remove_and_history(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    ask(rt, "hi, my name is Ana")
    status, out, _ = run(capsys, "profile", "--user", "ana", "--json")
    profile = json.loads(out)
    assert status == 0 and profile["fields"] == {"name": "Ana"} and profile["version"] == 1
    assert "diet" in profile["schema"]["properties"]

    status, out, _ = run(
        capsys, "profile", "--user", "ana", "--set", 'diet=["nuts","fish"]', "--set", "n0=42", "--set", "name=Ana Maria"
    )
    assert status == 0 and "version 2" in out and '"Ana Maria"' in out and '["nuts", "fish"]' in out
    assert rt.store.get_working_memory("default", "ana").fields == {
        "name": "Ana Maria",
        "diet": ["nuts", "fish"],
        "n0": 42,
    }

    status, out, _ = run(capsys, "profile", "--user", "ana", "--remove", "diet", "--json")
    assert json.loads(out)["fields"] == {"name": "Ana Maria", "n0": 42} and json.loads(out)["version"] == 3

    status, out, _ = run(capsys, "profile", "--user", "ana", "--history", "--json")
    history = json.loads(out)
    assert [c["version"] for c in history] == [1, 2, 3] and history[2]["removed"] == ["diet"]
    assert history[0]["source"].startswith("pipeline:") and history[1]["source"] == "api"
    status, out, _ = run(capsys, "profile", "--user", "ana", "--history")
    assert status == 0 and len(out.splitlines()) == 3 and "-diet" in out

    status, out, _ = run(capsys, "profile", "--user", "nobody")
    assert status == 0 and "nobody: version 0" in out and "not set:" in out


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--set", "shoe_size=42"], "shoe_size: not a working-memory field"),
        (["--set", "n1=forty"], "n1: expected integer, got str"),
        (["--set", "novalue"], "--set takes name=value"),
        (["--set", "name=Bo", "--expect-version", "5"], "is at version 0, not 5"),
    ],
)
def test_bad_profile_changes_are_clear_errors(
    rt: Runtime, capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    status, out, err = run(capsys, "profile", "--user", "ana", *argv)
    assert status == 2 and reason in err and out == ""
    status, _, err = run(capsys, "profile", "--user", "ana", *argv, "--json")
    assert status == 2 and reason in json.loads(err)["message"]
    assert rt.store.get_working_memory("default", "ana").version == 0


def test_bad_ids_are_usage_errors(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["threads", "--user", "bad user"], ["messages", "a/b"], ["erase-user", "x" * 200, "--yes"]):
        with pytest.raises(SystemExit) as exc:
            main(["memory", *argv])
        assert exc.value.code == 2 and "is not an id" in capsys.readouterr().err


def test_delete_thread(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    gone = ask(rt, "hi there")
    kept = ask(rt, "what is 15 times 23")

    status, _, err = run(capsys, "delete-thread", gone.thread_id, "--user", "mallory")
    assert status == 2 and "no thread" in err

    status, out, _ = run(capsys, "delete-thread", gone.thread_id, "--json")
    assert status == 0 and json.loads(out)["messages"] == 2 and json.loads(out)["threads"] == 1

    status, _, err = run(capsys, "messages", gone.thread_id)
    assert status == 2 and "no thread" in err
    status, _, err = run(capsys, "delete-thread", gone.thread_id)
    assert status == 2 and "no thread" in err
    assert [t.thread_id for t in rt.store.list_threads("default", "ana").items] == [kept.thread_id]


def test_erase_user_needs_yes(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    ask(rt, "hi, my name is Ana")
    ask(rt, "hi, my name is Bob", user="bob")

    status, _, err = run(capsys, "erase-user", "ana")
    assert status == 2 and "--yes" in err
    assert rt.store.list_threads("default", "ana").items  # nothing was touched

    status, out, _ = run(capsys, "erase-user", "ana", "--yes")
    assert status == 0 and out.startswith("erased user ana: 1 threads, 2 messages")
    assert rt.store.list_threads("default", "ana").items == []
    assert rt.store.get_working_memory("default", "ana").version == 0
    assert rt.store.get_working_memory("default", "bob").fields == {"name": "Bob"}

    status, out, _ = run(capsys, "erase-user", "ana", "--yes")
    assert status == 0 and "nothing was stored" in out


def test_retention_and_purge(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "retention", "--days", "30", "--json")
    assert status == 0 and json.loads(out)["retention_days"] == 30 and json.loads(out)["tenant_id"] == "default"
    assert rt.store.retention_days("default") == 30

    ask(rt, "hi there")  # written with a 30-day expiry
    rt.store.clock = lambda: 4_000_000_000.0  # far past it: reads skip the records, purge removes them
    status, out, _ = run(capsys, "purge", "--json")
    assert status == 0 and json.loads(out)["removed"] >= 3
    status, out, _ = run(capsys, "purge")
    assert status == 0 and out.strip() == "purged 0 expired records"

    status, out, _ = run(capsys, "retention", "--tenant", "acme", "--days", "7")
    assert status == 0 and "tenant acme: memory expires 7 days" in out
    status, out, _ = run(capsys, "retention", "--clear")
    assert status == 0 and "default retention" in out and rt.store.retention_days("default") is None

    status, _, err = run(capsys, "retention", "--days", "0")
    assert status == 2 and "retention_days" in err
    with pytest.raises(SystemExit):
        main(["memory", "retention"])  # --days or --clear is required
    with pytest.raises(SystemExit):
        main(["memory", "retention", "--days", "3", "--clear"])


def test_the_memory_and_prompt_commands_need_no_api_extra(tmp_path: Path) -> None:
    """`pip install .` has no FastAPI: these commands must not import it."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['fastapi'] = None\n"  # importing it now raises ImportError
        "from mastra.cli import main\n"
        "assert main(['memory', 'threads', '--user', 'ana']) == 0\n"
        "assert main(['memory', 'profile', '--user', 'ana']) == 0\n"
        "assert main(['prompts', 'list']) == 0\n"
    )
    env = {**os.environ, "MASTRA_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
