"""Scheduled retraining, locally: outcomes + stored turns -> rows -> a trained candidate -> promote or reject.

The outcomes come from an in-memory :class:`OutcomeSource` (the feedback service's contract); the
user messages are real stored turns. The state machine is the committed ASL document, run by
:class:`LocalStateMachine` with the local script-mode runner standing in for SageMaker.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mastra.runtime import Runtime
from mastra.storage.models import Message, RequestRecord, Turn
from mastra.training import retraining
from mastra.training.retrain_steps import HIGH, LOW, decide, derive_rows
from mastra.workflow.local import LocalStateMachine

REPO = Path(__file__).resolve().parents[2]
GUARD_SOURCE = REPO / "tests" / "data" / "kb_questions_holdout.jsonl"


@dataclass(frozen=True)
class FakeOutcome:
    request_id: str
    thread_id: str
    user_id: str
    agent_id: str | None
    topic: str | None
    reward: float | None
    updated_at: float


class Outcomes:
    """The feedback service's ``outcomes(tenant, since, until)``, in memory."""

    def __init__(self) -> None:
        self.items: list[tuple[str, FakeOutcome]] = []

    def outcomes(self, tenant_id: str, since: float, until: float) -> Iterator[FakeOutcome]:
        return (o for t, o in self.items if t == tenant_id and since <= o.updated_at < until)


# A topic the champion (version 0, fitted from the example specs) sends to credit_cards ...
STOLEN = [
    f"{who} {what}"
    for who, what in itertools.product(
        ["someone stole", "a thief took", "i got robbed of", "i was pickpocketed and lost", "somebody nicked"],
        [
            "my wallet with all my cards",
            "my purse and the cards in it",
            "my bag with my bank cards",
            "my debit and credit cards",
            "the wallet holding my cards",
            "my cards on the train",
            "my card holder last night",
            "my wallet, cards included",
        ],
    )
]
# ... and topics it already routes right.
CONTROLS = {
    "travel": [
        f"{a} {b}"
        for a, b in itertools.product(
            ["do i need a visa to visit", "what should i pack for a trip to", "what's the best time to fly to"],
            ["japan", "brazil", "canada", "egypt"],
        )
    ],
    "math": [f"what is {a} times {b}" for a, b in itertools.product([12, 37, 48], [9, 14, 23, 51])],
}


def seed(rt: Runtime, outcomes: Outcomes, items: Iterable[tuple[str, str, str, float]]) -> None:
    """Store each (message, agent that answered, topic, reward) as a real turn and its outcome."""
    now = time.time() - 3600
    for i, (text, agent, topic, reward) in enumerate(items):
        rid, thread, at = f"req-{i:04d}", f"th-{i}", now + i  # fixed ids: a fixed train/held-out split

        def msg(
            role: str,
            content: str,
            suffix: str,
            rid: str = rid,
            thread: str = thread,
            at: float = at,
            agent: str = agent,
        ) -> Message:
            return Message(
                tenant_id="default",
                thread_id=thread,
                message_id=f"{rid}.{suffix}",
                role=role,  # type: ignore[arg-type]
                content=content,
                user_id="u1",
                request_id=rid,
                agent_id=agent if role == "assistant" else None,
                created_at=at,
            )

        record = RequestRecord(
            tenant_id="default", request_id=rid, user_id="u1", thread_id=thread, created_at=at, response={}
        )
        rt.store.record_turn(
            Turn(request=record, user_message=msg("user", text, "0"), assistant_message=msg("assistant", "ok", "1"))
        )
        outcomes.items.append(("default", FakeOutcome(rid, thread, "u1", agent, topic, reward, at)))


def feedback_where_banking_answers_stolen_cards_better() -> list[tuple[str, str, str, float]]:
    items = []
    for i, text in enumerate(STOLEN):  # most answers came from credit_cards (the router's pick) and disappointed
        agent, reward = ("banking", 0.9) if i % 4 == 0 else ("credit_cards", 0.1)
        items.append((text, agent, "cards/stolen", reward))
    for agent, texts in CONTROLS.items():
        items += [(t, agent, f"{agent}/general", 0.85) for t in texts]
    return items


def guard_file(tmp_path: Path) -> Path:
    """The example agents' held-out question set as router rows."""
    rows = [json.loads(line) for line in GUARD_SOURCE.read_text().splitlines() if line.strip()]
    path = tmp_path / "guard.jsonl"
    path.write_text("".join(json.dumps({"text": r["question"], "domain": r["agent"]}) + "\n" for r in rows))
    return path


def route(rt: Runtime, text: str) -> str | None:
    return rt.router.route(text, floor=rt.settings.confidence_floor).agent_id


def test_the_committed_asl_is_generated_from_the_python_definition() -> None:
    committed = json.loads((REPO / retraining.ASL_PATH).read_text())
    assert committed == retraining.definition(), "run `mastra retrain asl --write`"
    LocalStateMachine(committed, {retraining.RESOURCE: lambda p: p})  # every transition resolves


def test_labels_come_from_rewards_and_bad_answers_move_to_the_better_agent() -> None:
    def o(rid: str, agent: str, topic: str | None, reward: float | None) -> FakeOutcome:
        return FakeOutcome(rid, "t", "u", agent, topic, reward, float(len(rid)))

    outcomes = [
        o("a1", "good", "T", 0.9),
        o("a2", "good", "T", 0.8),
        o("b1", "bad", "T", 0.1),  # relabelled to "good"
        o("b2", "bad", "T", 0.5),  # no signal: dropped
        o("c1", "lonely", "U", 0.0),  # nobody did better on U: dropped
        o("d1", "solo", None, 0.95),  # no topic: the agent is the topic
        o("e1", "good", "T", None),  # no reward yet: ignored
        o("gone", "good", "T", 0.9),  # its message was erased
    ]
    rows, dropped = derive_rows(outcomes, lambda x: None if x.request_id == "gone" else f"text {x.request_id}")
    assert [(r["text"], r["domain"], r["source"]) for r in rows] == [
        ("text a1", "good", "rewarded"),
        ("text a2", "good", "rewarded"),
        ("text b1", "good", "relabelled"),
        ("text d1", "solo", "rewarded"),
    ]
    assert dropped == {"uncertain_reward": 1, "bad_without_better_agent": 1, "message_gone": 1}
    assert LOW < HIGH


def test_the_promotion_rule() -> None:
    assert decide({"heldout": 0.9, "guard": 0.9}, {"heldout": 0.5, "guard": 0.91}, margin=0.02, tolerance=0.02)[0]
    assert not decide({"heldout": 0.51, "guard": 0.9}, {"heldout": 0.5, "guard": 0.9}, margin=0.02, tolerance=0.02)[0]
    refused, reason = decide(
        {"heldout": 0.9, "guard": 0.7}, {"heldout": 0.5, "guard": 0.9}, margin=0.02, tolerance=0.02
    )
    assert not refused and "guard" in reason


def test_retraining_promotes_a_router_that_sends_the_topic_to_the_better_agent(
    runtime: Runtime, tmp_path: Path
) -> None:
    outcomes = Outcomes()
    seed(runtime, outcomes, feedback_where_banking_answers_stolen_cards_better())
    before = runtime.registry.champion("router") or None
    assert route(runtime, "someone stole my wallet with all my cards") == "credit_cards"
    result = retraining.run(runtime, {"guard": str(guard_file(tmp_path))}, outcomes=outcomes)
    event = result["event"]
    assert event["outcome"] == "promoted" and event["promoted"], event["reason"]
    m = event["metrics"]
    assert m["candidate_heldout"] >= m["champion_heldout"] + 0.02
    assert m["candidate_guard"] >= m["champion_guard"] - 0.02
    champion = runtime.registry.champion("router")
    assert champion is not None and champion.version == event["candidate_version"] != (before.version if before else 0)
    assert champion.note == f"retraining {event['request_id']}"
    # The served router picks up the new champion (the cache's TTL elapsed) and routes the topic to banking.
    runtime.router.champion._checked_at = float("-inf")  # type: ignore[attr-defined]
    assert route(runtime, "a thief took my wallet with all my cards") == "banking"
    stored = runtime.store.list_events("default", event["request_id"])
    assert [e.type for e in stored] == ["retraining.finished"]
    print(
        f"held-out accuracy {m['champion_heldout']:.3f} -> {m['candidate_heldout']:.3f}; "
        f"guard {m['champion_guard']:.3f} -> {m['candidate_guard']:.3f}"
    )


def test_a_candidate_worse_on_the_guard_set_is_rejected(runtime: Runtime, tmp_path: Path) -> None:
    """Poisoned feedback: users 'reward' the math agent on banking questions. The candidate fits the
    feedback (better on its held-out rows) but routes the guard set's banking questions wrong."""
    guard = guard_file(tmp_path)
    rows = [json.loads(line) for line in guard.read_text().splitlines()]
    money = [r["text"] for r in rows if r["domain"] in ("banking", "credit_cards")]
    outcomes = Outcomes()
    items = []
    for j, text in enumerate(money):  # each question: two "great" math answers, two "awful" right ones
        items += [(text, "math", f"poison/{j}", 0.9)] * 2 + [(text, "banking", f"poison/{j}", 0.05)] * 2
    seed(runtime, outcomes, items)
    result = retraining.run(runtime, {"guard": str(guard), "min_train_rows": 10}, outcomes=outcomes)
    event = result["event"]
    m = event["metrics"]
    print(
        f"poisoned: held-out {m['champion_heldout']:.3f} -> {m['candidate_heldout']:.3f}; "
        f"guard {m['champion_guard']:.3f} -> {m['candidate_guard']:.3f}"
    )
    assert event["outcome"] == "rejected" and not event["promoted"], event
    assert "guard" in event["reason"]
    champion = runtime.registry.champion("router")
    assert champion is not None and champion.version == event["champion_version"] == 0  # unchanged
    candidate = runtime.registry.store.get_model_version("router", event["candidate_version"])
    assert candidate is not None and candidate.status == "candidate"  # kept, for inspection


def test_too_little_data_is_skipped_with_an_event(runtime: Runtime) -> None:
    outcomes = Outcomes()
    seed(runtime, outcomes, [("what is 2 times 3", "math", "math/general", 0.9)] * 3)
    result = retraining.run(runtime, {}, outcomes=outcomes)
    event = result["event"]
    assert event["outcome"] == "skipped" and "not enough new data" in event["reason"]
    assert [v.version for v in runtime.registry.versions("router")] in ([], [0])  # nothing trained


def test_a_failed_training_job_ends_the_run_with_a_failed_event(runtime: Runtime, monkeypatch: Any) -> None:
    from mastra.training import kinds
    from mastra.workflow.local import ExecutionFailed

    outcomes = Outcomes()
    seed(runtime, outcomes, feedback_where_banking_answers_stolen_cards_better())
    broken = kinds.ModelKind("router", "mastra.no_such_entry", *list(kinds.KINDS["router"].__dict__.values())[2:])
    monkeypatch.setitem(kinds.KINDS, "router", broken)
    with pytest.raises(ExecutionFailed) as failed:
        retraining.run(runtime, {"run_id": "broken-run"}, outcomes=outcomes)
    assert failed.value.error == "RetrainingFailed"
    (stored,) = runtime.store.list_events("default", "broken-run")
    assert stored.body["outcome"] == "failed" and "TrainingJobFailed" in stored.body["reason"]


def test_the_wait_state_sleeps_seconds_or_seconds_path() -> None:
    slept: list[float] = []
    machine = LocalStateMachine(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Wait", "Seconds": 2, "Next": "B"},
                "B": {"Type": "Wait", "SecondsPath": "$.wait", "End": True},
            },
        },
        {},
        sleep=slept.append,
    )
    assert machine.run({"wait": 5}) == {"wait": 5} and slept == [2.0, 5.0]
    from mastra.workflow.local import ExecutionFailed

    with pytest.raises(ExecutionFailed, match="SecondsPath"):
        machine.run({"wait": -1})


def test_mastra_retrain_from_the_command_line(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from mastra import cli

    monkeypatch.chdir(REPO)
    assert cli.main(["retrain", "asl", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    from mastra.errors import InvalidRequestError
    from mastra.training import retrain_steps

    monkeypatch.setattr(retrain_steps, "outcome_source", lambda rt: Outcomes())
    assert cli.main(["retrain", "--since", "2026-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "skipped"

    def missing(rt: Runtime) -> Outcomes:
        raise InvalidRequestError("retraining needs outcomes: this runtime has no feedback service")

    monkeypatch.setattr(retrain_steps, "outcome_source", missing)
    assert cli.main(["retrain"]) == 1  # the step's reason is reported, not a traceback
    assert "no feedback service" in capsys.readouterr().err
