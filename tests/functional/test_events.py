"""Pipeline events: what a request emits, and that the same request always emits the same events."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from mastra.events.build import events_for_turn
from mastra.events.models import EventBatch
from mastra.models import ChatRequest, RequestContext
from mastra.runtime import Runtime


def test_a_request_emits_its_events_in_order_and_they_land_in_the_store(runtime: Runtime) -> None:
    r = runtime.chat(ChatRequest(message="how do i transfer money to my savings account", user_id="ana"))
    stored = runtime.store.list_events("default", r.request_id)  # MASTRA_EVENTS=local: straight to the store
    assert [e.type for e in stored] == [
        "request.received",
        "agent.selected",
        "agent.completed",
        "reflection.verdict",
        "request.completed",
        "reward.assigned",  # the answer's first outcome (mastra.feedback), assigned by the remember step
    ]
    assert [e.event_id for e in stored] == [
        f"{r.request_id}:request.received",
        f"{r.request_id}:agent.selected",
        f"{r.request_id}:agent.completed:1",
        f"{r.request_id}:reflection.verdict:1",
        f"{r.request_id}:request.completed",
        f"{r.request_id}:reward.assigned:1",
    ]
    times = [e.occurred_at for e in stored]
    assert times == sorted(times) and times[-1] - times[0] < 5
    selected = stored[1].body
    assert selected["agent_id"] == "banking" and selected["version"] == 1 and len(selected["ranked"]) <= 3


def test_rebuilding_a_turns_events_later_gives_the_same_events(runtime: Runtime) -> None:
    """A retried Remember re-publishes; identical events make redelivery harmless on every store."""
    r = runtime.chat(ChatRequest(message="what is 12 times 7", user_id="ana"))
    record = runtime.store.get_request("default", r.request_id)
    assert record is not None
    context = RequestContext(
        request_id=r.request_id,
        tenant_id="default",
        user_id="ana",
        thread_id=r.thread_id,
        message="what is 12 times 7",
        received_at=record.created_at,
    )
    first = events_for_turn(context, r)
    time.sleep(0.01)
    assert events_for_turn(context, r) == first
    turn_events = [e for e in runtime.store.list_events("default", r.request_id) if e.type != "reward.assigned"]
    assert [e.body for e in turn_events] == [e.model_dump(mode="json") for e in first]


def test_unknown_types_versions_and_fields_are_refused() -> None:
    event = {"type": "request.received", "version": 1, "tenant_id": "t", "request_id": "r", "event_id": "e"}
    event |= {"user_id": "u", "thread_id": "th", "message_chars": 3, "occurred_at": 1.0}
    batch = EventBatch.model_validate({"events": [event]})
    assert EventBatch.model_validate_json(batch.model_dump_json()) == batch
    for bad in ({**event, "version": 2}, {**event, "type": "request.teleported"}, {**event, "surprise": 1}):
        with pytest.raises(ValidationError):
            EventBatch.model_validate({"events": [bad]})
