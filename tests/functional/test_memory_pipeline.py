"""The pipeline's memory: every message stored with its embedding, recall scoped to the user,
working memory merged from the conversation, summaries keeping a long thread's context bounded."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.apiclient import api_client

from mastra.models import ChatRequest
from mastra.runtime import Runtime
from mastra.settings import EXAMPLE_AGENTS_DIR, Settings


def ask(rt: Runtime, message: str, user: str = "ana", thread: str | None = None) -> Any:
    return rt.chat(ChatRequest(message=message, user_id=user, thread_id=thread))


def test_every_message_is_stored_with_its_embedding(runtime: Runtime) -> None:
    r = ask(runtime, "how do i transfer money to my savings account")
    vectors = runtime.store.message_vectors("default", "ana", r.thread_id)
    assert len(vectors) == 2
    assert r.trace.executions[-1].memory is not None


def test_recall_finds_the_users_earlier_message_in_another_thread_and_never_another_users(
    runtime: Runtime,
) -> None:
    first = ask(runtime, "move 200 dollars from checking to savings")
    ask(runtime, "move 500 from checking into savings please", user="bob")
    later = ask(runtime, "how do i transfer money to my savings account")  # a new thread
    assert later.thread_id != first.thread_id
    recalled = later.trace.executions[-1].memory.recalled
    assert recalled, "the earlier, similar request should be recalled"
    assert recalled[0].message_id == f"{first.request_id}.0" and recalled[0].thread_id == first.thread_id
    ids = {m.message_id for m in runtime.store.message_vectors("default", "ana")}
    assert {r.message_id for r in recalled} <= ids  # only ana's messages
    mallory = ask(runtime, "how do i transfer money to my savings account", user="mallory")
    assert mallory.trace.executions[-1].memory.recalled == []


def test_what_is_in_the_history_window_is_not_recalled_again(runtime: Runtime) -> None:
    first = ask(runtime, "move 200 dollars from checking to savings")
    follow = ask(runtime, "move 300 dollars from checking to savings", thread=first.thread_id)
    memory = follow.trace.executions[-1].memory
    assert memory.history == 2
    assert not {f"{first.request_id}.0", f"{first.request_id}.1"} & {r.message_id for r in memory.recalled}


@pytest.fixture
def memory_runtime(tmp_path: Path, settings: Settings) -> Any:
    """The example agents, keeping the user's name and accounts, with a short summary window."""
    agents = tmp_path / "agents"
    shutil.copytree(EXAMPLE_AGENTS_DIR, agents)
    shutil.copytree(EXAMPLE_AGENTS_DIR.parent / "prompts", tmp_path / "prompts")  # their prompts' seed
    for path in agents.glob("*.yaml"):
        spec = yaml.safe_load(path.read_text())
        spec["memory"] = spec.get("memory", {}) | {
            "history_messages": 2,
            "summary": {"after_messages": 4, "sentences": 2},
            "working": {
                "name": {"type": "string", "patterns": [r"\bmy name is (?P<value>[a-z][\w'-]*)"]},
                "accounts": {"type": "list", "patterns": [r"\bmy (?P<value>checking|savings) account\b"]},
            },
        }
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
    rt = Runtime(settings.model_copy(update={"agents_dir": agents}), sleep=lambda s: None, strict_json=True)
    yield rt
    rt.store.close()


def test_working_memory_is_merged_from_the_conversation_with_history(memory_runtime: Runtime) -> None:
    rt = memory_runtime
    r = ask(rt, "hi, my name is Ana")
    wm = rt.store.get_working_memory("default", "ana")
    assert wm.fields == {"name": "Ana"} and wm.version == 1
    ask(rt, "what is the interest on my savings account", thread=r.thread_id)
    ask(rt, "is there a fee on my checking account", thread=r.thread_id)
    ask(rt, "and is there a fee on my savings account", thread=r.thread_id)  # already listed: no change
    wm = rt.store.get_working_memory("default", "ana")
    assert wm.fields == {"name": "Ana", "accounts": ["savings", "checking"]} and wm.version == 3
    history = rt.store.working_memory_history("default", "ana")
    assert [c.source for c in history] == [f"pipeline:{r.request_id}"] + [c.source for c in history[1:]]
    later = ask(rt, "which account pays interest")
    assert later.trace.executions[-1].memory.working_memory_version == 3
    assert rt.store.get_working_memory("default", "bob").version == 0


def test_a_retried_remember_step_does_not_change_working_memory_twice(memory_runtime: Runtime) -> None:
    from mastra import steps

    rt = memory_runtime
    ask(rt, "my name is Ana")
    state: dict[str, Any] = {}
    original = steps.remember

    def capture(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
        state.update(event)
        return original(event, runtime)

    import mastra.steps

    mastra.steps.remember = capture  # type: ignore[assignment]
    try:
        rt2 = Runtime(rt.settings, sleep=lambda s: None, strict_json=True)
        ask(rt2, "actually my name is Anna")
    finally:
        mastra.steps.remember = original  # type: ignore[assignment]
    assert rt.store.get_working_memory("default", "ana").version == 2
    original(state, rt2)  # Step Functions retries the step: the turn exists, the merge changes nothing
    wm = rt.store.get_working_memory("default", "ana")
    assert wm.fields["name"] == "Anna" and wm.version == 2
    rt2.store.close()


def test_a_long_thread_is_summarised_and_its_context_stays_bounded(memory_runtime: Runtime) -> None:
    rt = memory_runtime
    questions = [
        "how do i transfer money to my savings account",
        "what is my checking balance",
        "how do i order new checks",
        "what are the wire transfer fees",
        "how do i set up direct deposit",
        "why was i charged an overdraft fee",
        "how do i close my savings account",
    ]
    thread = None
    for q in questions:
        r = ask(rt, q, thread=thread)
        thread = r.thread_id
    summary = rt.store.get_summary("default", thread)
    assert summary is not None and summary.messages >= 4
    assert summary.text.startswith("Earlier in this conversation") and summary.text.count("\n- ") == 2
    r = ask(rt, "how do i pay my credit card bill from checking", thread=thread)
    memory = r.trace.executions[-1].memory
    assert memory.history == 2 and memory.summary_messages >= summary.messages


def test_a_model_that_reads_a_system_prompt_gets_every_kind_of_memory(memory_runtime: Runtime) -> None:
    from mastra.providers import ChatMessage, CompletionRequest, CompletionResponse, ModelProvider

    class Recorder(ModelProvider):
        name = "recorder"

        def __init__(self) -> None:
            self.requests: list[CompletionRequest] = []

        def complete(self, request: CompletionRequest) -> CompletionResponse:
            self.requests.append(request)
            return CompletionResponse(message=ChatMessage(role="assistant", content="noted"))

    recorder = Recorder()
    rt = Runtime(memory_runtime.settings, providers={"retrieval": recorder}, sleep=lambda s: None, strict_json=True)
    earlier = ask(rt, "move 200 dollars from checking to savings")
    thread = ask(rt, "my name is Ana, what is the balance of my checking account").thread_id
    for q in ["how do i order new checks", "what are the wire transfer fees", "why was i charged a fee"]:
        ask(rt, q, thread=thread)
    final = ask(rt, "how do i transfer money from checking to my savings account", thread=thread)
    system = recorder.requests[-1].system or ""
    memory = final.trace.executions[-1].memory
    assert final.trace.executions[-1].prompt.ref == "banking@1"  # the registry's production version
    assert "What you know about the user: name: Ana; accounts: checking, savings." in system
    assert memory.summary_messages > 0 and "Earlier in this conversation" in system
    assert any(r.message_id == f"{earlier.request_id}.0" for r in memory.recalled)
    assert "- user: move 200 dollars from checking to savings" in system
    assert [m.content for m in recorder.requests[-1].messages][-1].startswith("how do i transfer")
    assert len(recorder.requests[-1].messages) == memory.history + 1  # the window, then the request
    rt.store.close()


def test_the_offline_model_answers_from_the_users_working_memory(runtime: Runtime) -> None:
    assert ask(runtime, "what's my name?").answer.startswith("I don't know your name yet")
    assert ask(runtime, "hi, my name is Ana").answer.startswith("You're Ana")  # stated in this very message
    assert ask(runtime, "do you know my name").answer.startswith("You're Ana")  # a new thread: from the profile
    assert ask(runtime, "what's my name?", user="bob").answer.startswith("I don't know your name yet")
    ask(runtime, "call me Annie")
    assert ask(runtime, "what is my name again").answer.startswith("You're Annie")
    assert [c.set for c in runtime.store.working_memory_history("default", "ana")] == [
        {"name": "Ana"},
        {"name": "Annie"},
    ]


def test_an_edited_message_is_recalled_by_what_it_says_now(runtime: Runtime) -> None:

    client = api_client(runtime)
    first = ask(runtime, "what is the capital of france")
    edited = client.patch(
        f"/v1/threads/{first.thread_id}/messages/{first.request_id}.0",
        json={"content": "move 200 dollars from checking to savings"},
    )
    assert edited.status_code == 200 and edited.json()["content"].startswith("move 200"), edited.text
    later = ask(runtime, "how do i transfer money to my savings account")
    assert f"{first.request_id}.0" in {r.message_id for r in later.trace.executions[-1].memory.recalled}
    before = ask(runtime, "what is the capital city of france")  # the old text is no longer there to find
    assert f"{first.request_id}.0" not in {r.message_id for r in before.trace.executions[-1].memory.recalled}
    missing = client.patch(f"/v1/threads/{first.thread_id}/messages/nope.0", json={"content": "x"})
    assert missing.status_code == 404
    assert client.patch(f"/v1/threads/{first.thread_id}/messages/x", json={"content": ""}).status_code == 422
