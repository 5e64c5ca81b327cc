"""One contract for feedback, outcomes and arm counters on every backend (SQLite and DynamoDB under moto)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from tests.contract.conftest import turn

from mastra.errors import ConflictError, NotFoundError
from mastra.events import EventPublisher
from mastra.feedback import (
    FeedbackRecord,
    FeedbackRequest,
    FeedbackService,
    FeedbackStore,
    FeedbackSummary,
    Outcome,
)
from mastra.models import ChatResponse, ReflectionSummary, SentimentSummary, Trace
from mastra.models import Execution as Exec
from mastra.reflection import Reflection
from mastra.selection import Selection
from mastra.sentiment import Sentiment
from mastra.storage import Store, Turn

HOUR = 3600.0


def feedback_store(store: Store) -> FeedbackStore:
    if store.backend == "dynamodb":
        from mastra.feedback.dynamodb import DynamoDBFeedbackStore

        return DynamoDBFeedbackStore.sharing(store)  # type: ignore[arg-type]
    from mastra.feedback.sqlite import SQLiteFeedbackStore

    return SQLiteFeedbackStore(store.db)  # type: ignore[attr-defined]


def response(t: Turn, agent: str = "banking", topic: str | None = "banking/transfer", score: float = 0.8) -> dict:
    r = t.request
    return ChatResponse(
        request_id=r.request_id,
        thread_id=r.thread_id,
        user_id=r.user_id,
        answer="ok",
        agent=agent,
        confidence=0.9,
        sentiment=SentimentSummary(label="neutral", score=0.0),
        reflection=ReflectionSummary(verdict="accept", score=score, reason="fine"),
        attempts=[],
        timings_ms={},
        trace=Trace(
            selection=Selection(agent_id=agent, confidence=0.9, router="proto@v1", topic=topic),
            sentiment=Sentiment(label="neutral", score=0.0, model="senti@v0"),
            executions=[Exec(agent_id=agent, answer="ok", provider="fake")],
            reflections=[Reflection(verdict="accept", score=score, reason="fine")],
        ),
    ).model_dump()


def answered(store: Store, **kw: Any) -> Turn:
    t = turn(**{k: v for k, v in kw.items() if k in {"thread", "user", "tenant", "text", "at"}})
    t.request.response = response(t, **{k: v for k, v in kw.items() if k in {"agent", "topic", "score"}})
    assert store.record_turn(t)
    return t


def outcome(t: Turn, *, reward: float, revision: int = 1, created_at: float = 1000.0, **kw: Any) -> Outcome:
    r = t.request
    values: dict[str, Any] = {
        "tenant_id": r.tenant_id,
        "request_id": r.request_id,
        "user_id": r.user_id,
        "thread_id": r.thread_id,
        "agent_id": "banking",
        "topic": "banking/transfer",
        "reward": reward,
        "revision": revision,
        "created_at": created_at,
        "updated_at": created_at,
    }
    values.update(kw)
    return Outcome(**values)


class Recorder(EventPublisher):
    def __init__(self) -> None:
        self.events: list[Any] = []

    def publish(self, events: Any) -> None:
        self.events.extend(events)


class FixedSentiment:
    def analyze(self, text: str, encoding: Any = None) -> Sentiment:
        return Sentiment(label="negative" if "bad" in text else "positive", score=-0.8 if "bad" in text else 0.6)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def service(store: Store, clock: Callable[[], float] | None = None, **kw: Any) -> tuple[FeedbackService, Recorder]:
    events = Recorder()
    svc = FeedbackService(
        feedback_store(store),
        store,
        sentiment=lambda: FixedSentiment(),  # type: ignore[arg-type,return-value]
        publisher=lambda: events,
        clock=clock or Clock(),
        **kw,
    )
    return svc, events


# ---- feedback -----------------------------------------------------------------------------------------
def test_feedback_is_replaced_never_duplicated_and_keeps_its_first_time(store: Store) -> None:
    fb = feedback_store(store)
    t = answered(store)
    rid = t.request.request_id
    first = FeedbackRecord(
        tenant_id="default", request_id=rid, user_id="u1", thread_id="t1", thumbs="up", created_at=10, updated_at=10
    )
    assert fb.put_feedback(first) is None
    second = first.model_copy(update={"thumbs": "down", "rating": 2, "created_at": 20.0, "updated_at": 20.0})
    replaced = fb.put_feedback(second)
    assert replaced is not None and replaced.thumbs == "up"
    stored = fb.feedback_for("default", rid)
    assert len(stored) == 1
    assert (stored[0].thumbs, stored[0].rating, stored[0].created_at, stored[0].updated_at) == ("down", 2, 10.0, 20.0)
    assert fb.feedback_for("other-tenant", rid) == []


# ---- outcomes and arm counters ------------------------------------------------------------------------
def test_outcome_writes_are_revision_checked_and_move_the_arm_counters_with_them(store: Store) -> None:
    fb = feedback_store(store)
    t = answered(store)
    rid = t.request.request_id
    v1 = outcome(t, reward=0.8)
    assert fb.put_outcome(v1, None)
    assert not fb.put_outcome(v1, None)  # exists: a second first write loses
    v2 = outcome(t, reward=0.3, revision=2)
    assert fb.put_outcome(v2, v1)
    assert not fb.put_outcome(outcome(t, reward=0.9, revision=2), v1)  # stale: v1 is no longer stored
    got = fb.get_outcome("default", rid)
    assert got is not None and got.revision == 2 and got.reward == 0.3
    [bucket] = fb.arm_buckets("default", "banking/transfer", 0)
    # n counted once; reward_sum = 0.8 + (0.3 - 0.8)
    assert (bucket.hour, bucket.agent_id, bucket.n) == (0, "banking", 1) and bucket.reward_sum == pytest.approx(0.3)


def test_an_outcome_for_a_request_that_is_gone_is_refused(store: Store) -> None:
    fb = feedback_store(store)
    t = turn()  # never recorded
    assert not fb.put_outcome(outcome(t, reward=0.5), None)
    assert fb.get_outcome("default", t.request.request_id) is None
    assert fb.arm_buckets("default", "banking/transfer", 0) == []


def test_arm_buckets_are_per_topic_and_hour_and_read_from_an_hour_on(store: Store) -> None:
    fb = feedback_store(store)
    for hour, agent, topic, reward in [(1, "a", "x", 1.0), (5, "a", "x", 0.5), (5, "b", "x", 0.0), (5, "a", "y", 1.0)]:
        t = answered(store, agent=agent, topic=topic)
        o = outcome(t, reward=reward, agent_id=agent, topic=topic, created_at=hour * HOUR + 10)
        assert fb.put_outcome(o, None)
    got = {(b.hour, b.agent_id): (b.n, b.reward_sum) for b in fb.arm_buckets("default", "x", 0)}
    assert got == {(1, "a"): (1, 1.0), (5, "a"): (1, 0.5), (5, "b"): (1, 0.0)}
    assert {(b.hour, b.agent_id) for b in fb.arm_buckets("default", "x", 2)} == {(5, "a"), (5, "b")}
    assert fb.arm_buckets("other", "x", 0) == []


def test_outcomes_export_by_time_across_days_oldest_first(store: Store) -> None:
    fb = feedback_store(store)
    day = 86400.0
    written = []
    for at in (10.0, day - 1, day + 5, 3 * day + 7):
        t = answered(store)
        assert fb.put_outcome(outcome(t, reward=0.5, created_at=at), None)
        written.append((at, t.request.request_id))
    got = [(o.created_at, o.request_id) for o in fb.outcomes("default", 0, 4 * day)]
    assert got == written
    assert [o.created_at for o in fb.outcomes("default", day - 1, 3 * day + 7)] == [day - 1, day + 5]
    assert list(fb.outcomes("other", 0, 4 * day)) == []


def test_concurrent_revisions_all_land_and_the_counters_stay_exact(store: Store) -> None:
    """Threads racing to re-score one answer: every write is a distinct revision; reward_sum ends
    equal to the final reward and n to 1."""
    svc, _ = service(store, clock=Clock(0.0))
    t = answered(store)
    record = store.get_request("default", t.request.request_id)
    assert record is not None
    svc._revise("default", record.request_id, lambda o: o)
    errors: list[BaseException] = []

    def rate(i: int) -> None:
        try:
            for k in range(3):
                summary = {"thumbs": "up" if (i + k) % 2 else "down", "rating": 1 + (i + k) % 5}
                svc._revise(
                    "default",
                    record.request_id,
                    lambda o, s=summary: o.model_copy(update={"feedback": FeedbackSummary(**s)}),
                )
        except BaseException as exc:
            errors.append(exc)

    svc._revise("default", record.request_id, lambda o: o.model_copy(update={"feedback": FeedbackSummary(thumbs="up")}))
    threads = [threading.Thread(target=rate, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    final = svc.store.get_outcome("default", t.request.request_id)
    assert final is not None and final.revision >= 2
    [bucket] = svc.store.arm_buckets("default", "banking/transfer", 0)
    assert bucket.n == 1 and bucket.reward_sum == pytest.approx(final.reward, abs=1e-6)


# ---- the service over each backend ---------------------------------------------------------------------
def test_submit_scores_publishes_and_refuses_unknown_requests_and_other_users(store: Store) -> None:
    svc, events = service(store)
    t = answered(store, score=0.8)
    rid = t.request.request_id
    with pytest.raises(NotFoundError):
        svc.submit("default", FeedbackRequest(request_id="nope", user_id="u1", thumbs="up"))
    with pytest.raises(ConflictError):
        svc.submit("default", FeedbackRequest(request_id=rid, user_id="mallory", thumbs="down"))
    first = svc.submit("default", FeedbackRequest(request_id=rid, user_id="u1", thumbs="up"))
    assert (first.reward, first.replaced) == (0.95, False)  # 0.75 * 1 + 0.25 * 0.8
    again = svc.submit("default", FeedbackRequest(request_id=rid, user_id="u1", thumbs="down", comment="bad answer"))
    assert again.replaced and again.comment_sentiment is not None and again.comment_sentiment.score == -0.8
    # explicit: thumbs 0 (w 1), comment 0.1 (w 0.5) -> 0.05/1.5; reward 0.75 * that + 0.25 * 0.8
    assert again.reward == pytest.approx(0.75 * 0.05 / 1.5 + 0.2, abs=1e-6)
    view = svc.get("default", rid)
    assert len(view.feedback) == 1 and view.outcome is not None and view.outcome.revision == 2
    assert [(e.type, e.event_id.split(":", 1)[1]) for e in events.events if e.type == "reward.assigned"] == [
        ("reward.assigned", "reward.assigned:1"),
        ("reward.assigned", "reward.assigned:2"),
    ]  # no outcome before the first feedback (the remember step did not run here): it is revision 1
    received = [e for e in events.events if e.type == "feedback.received"]
    assert [e.replaced for e in received] == [False, True] and received[1].comment_sentiment == -0.8
    stats = svc.arm_stats("default", "banking/transfer")
    assert stats["banking"][0] == pytest.approx(1.0) and stats["banking"][1] == pytest.approx(again.reward)


def test_arm_stats_decay_with_the_half_life_and_ignore_the_window_s_past(store: Store) -> None:
    clock = Clock(0.0)
    svc, _ = service(store, clock=clock, half_life_h=10.0, window_h=30)
    for hour, agent, reward in [(0, "a", 1.0), (20, "a", 0.0), (20, "b", 1.0)]:
        clock.now = hour * HOUR
        t = answered(store, agent=agent)
        record = store.get_request("default", t.request.request_id)
        assert record is not None
        svc._revise("default", record.request_id, lambda o, r=reward: o.model_copy(update={"reflection_score": r}))
    clock.now = 20.5 * HOUR  # hour 20's bucket is weighted at its middle: age 0
    stats = svc.arm_stats("default", "banking/transfer")
    w0 = 0.5 ** (20 / 10)
    assert stats["a"] == pytest.approx((1 + w0, w0 * 1.0))
    assert stats["b"] == pytest.approx((1.0, 1.0))
    clock.now = 40.5 * HOUR  # hour 0 is out of the 30-hour window
    stats = svc.arm_stats("default", "banking/transfer")
    assert stats["a"] == pytest.approx((0.25, 0.0)) and stats["b"] == pytest.approx((0.25, 0.25))


# ---- erasure ------------------------------------------------------------------------------------------
def test_deleting_a_thread_or_erasing_a_user_removes_their_feedback_and_outcomes(store: Store) -> None:
    svc, _ = service(store)
    mine = answered(store, thread="t1", user="u1")
    other = answered(store, thread="t2", user="u1")
    kept = answered(store, thread="t3", user="u2")
    for t in (mine, other, kept):
        svc.submit("default", FeedbackRequest(request_id=t.request.request_id, user_id=t.request.user_id, rating=4))
    erased = store.delete_thread("default", "t1")
    assert erased.other >= 2
    assert svc.store.get_outcome("default", mine.request.request_id) is None
    assert svc.store.feedback_for("default", mine.request.request_id) == []
    store.erase_user("default", "u1")
    assert svc.store.get_outcome("default", other.request.request_id) is None
    assert svc.store.feedback_for("default", other.request.request_id) == []
    assert list(svc.outcomes("default", 0, 1e12)) == [svc.store.get_outcome("default", kept.request.request_id)]
    assert len(svc.store.feedback_for("default", kept.request.request_id)) == 1
    with pytest.raises(NotFoundError):
        svc.get("default", mine.request.request_id)
