"""The feedback loop's core: explicit feedback, implicit signals, outcomes, rewards, arm statistics.

Every answered request gets one :class:`~mastra.feedback.models.Outcome`. The remember step assigns
its first reward (reflection only) and, in the same call, attaches implicit signals to the
previous answer of the thread: the sentiment of the user's new message, and whether it asks the
same again (a rephrase: the previous answer missed). ``POST /v1/feedback`` adds explicit feedback.
Each change re-computes the reward (:mod:`mastra.feedback.reward`) and writes the outcome at its
next revision together with the bandit's arm counters, then publishes ``reward.assigned``.

Failure policy of :meth:`FeedbackService.on_turn` (called after the turn is stored): a storage
error propagates. It is retryable, so Step Functions retries the remember step, and every part of
that step is idempotent (the turn write is skipped, events carry fixed ids, an outcome is written
once per revision and an unchanged one is not rewritten), so the retry finishes the job and the
counters stay exact; if retries run out, the turn stands (``Runtime.chat`` answers from the store)
and the next feedback or turn rebuilds the missing outcome. Anything else (an encoder failure) only
loses the rephrase signal: logged, and the rest goes on.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mastra.errors import ConflictError, MastraError, NotFoundError, StorageError
from mastra.feedback.models import (
    CommentSentiment,
    FeedbackRecord,
    FeedbackRequest,
    FeedbackResult,
    FeedbackSummary,
    ImplicitSignals,
    Outcome,
    OutcomeView,
)
from mastra.feedback.reward import Signals, reward_of
from mastra.feedback.store import FeedbackStore
from mastra.selection.bandit import decayed

if TYPE_CHECKING:
    from mastra.encoder import Encoding, MessageEncoder
    from mastra.events import EventPublisher
    from mastra.events.models import Event
    from mastra.models import ChatResponse, RequestContext
    from mastra.sentiment.service import SentimentService
    from mastra.storage import Store
    from mastra.storage.models import Message, RequestRecord

log = logging.getLogger(__name__)

OUTCOME_RETRIES = 8  # optimistic outcome writes lost to concurrent writers before giving up


class FeedbackService:
    """Feedback and outcomes over a :class:`FeedbackStore` that shares the turn store's file/table.

    Parameters
    ----------
    half_life_h
        Arm statistics decay: a reward ``half_life_h`` hours old counts half.
    window_h
        How many hours of arm counters :meth:`arm_stats` reads (older ones are ignored).
    rephrase_threshold
        Cosine of two consecutive user messages at or above which the second is a rephrase.
    """

    def __init__(
        self,
        store: FeedbackStore,
        turns: Store,
        *,
        sentiment: Callable[[], SentimentService],
        publisher: Callable[[], EventPublisher],
        encoder: Callable[[], MessageEncoder] | None = None,
        half_life_h: float = 72.0,
        window_h: int = 216,
        rephrase_threshold: float = 0.70,
        clock: Callable[[], float] = time.time,
        redact: Callable[[str, str], str] | None = None,
    ) -> None:
        self.store, self.turns = store, turns
        #: ``(tenant, text) -> text``: the tenant's privacy policy, applied to a comment before it is stored.
        self._redact = redact or (lambda _tenant, text: text)
        self._sentiment, self._publisher, self._encoder = sentiment, publisher, encoder
        self.half_life_h, self.window_h = half_life_h, window_h
        self.rephrase_threshold = rephrase_threshold
        self.clock = clock

    # ---- explicit feedback -----------------------------------------------------------------------
    def submit(self, tenant_id: str, request: FeedbackRequest) -> FeedbackResult:
        """Store a user's feedback on an answer (replacing their earlier one) and re-score the answer.

        Raises :class:`NotFoundError` for an unknown request and :class:`ConflictError` when the
        user is not the one who asked: rewards steer selection, so only the asker's experience counts
        (and their feedback goes with their data when they are erased).

        >>> svc.submit("default", FeedbackRequest(request_id=rid, user_id="ana", thumbs="up")).reward  # doctest: +SKIP
        0.95
        """
        record = self._request(tenant_id, request.request_id)
        if record.user_id != request.user_id:
            raise ConflictError(
                f"request {request.request_id!r} was asked by another user; only they can rate it",
                details={"request_id": request.request_id},
            )
        if request.comment is not None:
            request = request.model_copy(update={"comment": self._redact(tenant_id, request.comment)})
        comment = None
        if request.comment is not None:
            s = self._sentiment().analyze(request.comment)
            comment = CommentSentiment(label=s.label, score=s.score)
        now = self.clock()
        stored = FeedbackRecord(
            tenant_id=tenant_id,
            request_id=request.request_id,
            user_id=request.user_id,
            thread_id=record.thread_id,
            thumbs=request.thumbs,
            rating=request.rating,
            comment=request.comment,
            comment_sentiment=comment,
            created_at=now,
            updated_at=now,
            expires_at=self.turns.expiry(tenant_id, now),
        )
        previous = self.store.put_feedback(stored)
        if previous is not None:
            stored = stored.model_copy(update={"created_at": previous.created_at})
        summary = FeedbackSummary(
            thumbs=request.thumbs,
            rating=request.rating,
            has_comment=request.comment is not None,
            comment_sentiment=comment.score if comment else None,
        )
        outcome, events = self._revise(
            tenant_id, request.request_id, lambda o: o.model_copy(update={"feedback": summary}), record
        )
        from mastra.events.models import FeedbackReceived

        received = FeedbackReceived(
            event_id=f"{request.request_id}:feedback.received:{request.user_id}:{now!r}",
            occurred_at=now,
            tenant_id=tenant_id,
            request_id=request.request_id,
            user_id=request.user_id,
            agent_id=outcome.agent_id,
            topic=outcome.topic,
            prompt_ref=outcome.prompt_ref,
            thumbs=request.thumbs,
            rating=request.rating,
            has_comment=request.comment is not None,
            comment_sentiment=summary.comment_sentiment,
            replaced=previous is not None,
            previous_thumbs=previous.thumbs if previous is not None else None,
            previous_rating=previous.rating if previous is not None else None,
            previous_had_comment=previous is not None and previous.comment is not None,
        )
        self._publish([received, *events])
        return FeedbackResult(
            request_id=request.request_id,
            user_id=request.user_id,
            thumbs=stored.thumbs,
            rating=stored.rating,
            comment=stored.comment,
            comment_sentiment=comment,
            reward=outcome.reward,
            replaced=previous is not None,
            created_at=stored.created_at,
            updated_at=stored.updated_at,
        )

    def get(self, tenant_id: str, request_id: str) -> OutcomeView:
        """A request's outcome and feedback (:class:`NotFoundError` if neither it nor an outcome exists)."""
        outcome = self.store.get_outcome(tenant_id, request_id)
        if outcome is None:
            self._request(tenant_id, request_id)  # 404 if unknown; else an answer without an outcome yet
        now = self.clock()
        feedback = [f for f in self.store.feedback_for(tenant_id, request_id) if not _expired(f.expires_at, now)]
        if outcome is not None and _expired(outcome.expires_at, now):
            outcome = None
        return OutcomeView(outcome=outcome, feedback=feedback)

    # ---- the remember step -------------------------------------------------------------------------
    def on_turn(self, request: RequestContext, response: ChatResponse, encoding: Encoding | None = None) -> list[Event]:
        """After a turn is stored: its first outcome, and implicit signals on the thread's previous answer.

        Returns the ``reward.assigned`` events, for the caller to publish with the turn's own (one
        queue message per request). ``encoding`` is the selection step's encoding of the user's
        message, if it travelled with the state (else the message is encoded here, only when there
        is a previous answer to compare it with).
        """
        tenant, rid = request.tenant_id, request.request_id
        events: list[Event] = []
        first = score(self._base(_record_of(request), response)).model_copy(update={"revision": 1})
        if self.store.put_outcome(first, None):  # one write on the usual path: no read first
            events.append(_reward_event(first, None))
        else:
            existing = self.store.get_outcome(tenant, rid)
            if existing is not None and existing.revision == 1:  # a retried step: the same event again
                events.append(_reward_event(existing, None))  # (stored once), in case it was lost
        previous = None if request.new_thread else self._previous_user_message(request)
        if previous is not None:
            signals = ImplicitSignals(
                next_request_id=rid,
                next_message_sentiment=response.trace.sentiment.score,
                **self._rephrase(previous, request.message, encoding),
            )
            with contextlib.suppress(NotFoundError):  # the previous request is gone: nothing to attach to
                events += self._revise(
                    tenant, previous.request_id, lambda o: o.model_copy(update={"implicit": signals})
                )[1]
        return events

    def _previous_user_message(self, request: RequestContext) -> Message | None:
        recent = self.turns.recent_messages(request.tenant_id, request.thread_id, 4)
        earlier = [m for m in recent if m.role == "user" and m.request_id != request.request_id]
        return earlier[-1] if earlier else None

    def _rephrase(self, before: Message, now: str, encoding: Encoding | None) -> dict[str, Any]:
        """Cosine of the two messages: the earlier one's stored embedding (the int8 packing the
        threshold was measured through) when it is in this encoder's space, else encoded again."""
        if self._encoder is None:
            return {}
        try:
            from mastra.memory.vectors import cosines

            encoder = self._encoder()
            current = encoding if encoding is not None and encoding.encoder == encoder.digest else encoder.encode(now)
            scores, kept = cosines([before.embedding] if before.embedding else [], encoder.digest, current.embedding)
            similarity = (
                float(scores[0]) if len(kept) else float(encoder.encode(before.content).embedding @ current.embedding)
            )
        except Exception as exc:  # the encoder is optional here: lose the signal, not the turn
            log.warning("could not compare the thread's last two messages (%s); no rephrase signal", exc)
            return {}
        return {"similarity": round(similarity, 4), "rephrased": similarity >= self.rephrase_threshold}

    # ---- outcomes ----------------------------------------------------------------------------------
    def _request(self, tenant_id: str, request_id: str) -> RequestRecord:
        record = self.turns.get_request(tenant_id, request_id)
        if record is None:
            raise NotFoundError(f"no request {request_id!r}", details={"request_id": request_id})
        return record

    def _base(self, record: RequestRecord, response: ChatResponse | None = None) -> Outcome:
        """A request's outcome before any signal but reflection (revision 0: not stored yet)."""
        from mastra.models import ChatResponse

        r = response or ChatResponse.model_validate(record.response)
        trace = r.trace
        kept = next((e for e in reversed(trace.executions) if e.agent_id == r.agent), None)
        now = self.clock()
        return Outcome(
            tenant_id=record.tenant_id,
            request_id=record.request_id,
            user_id=record.user_id,
            thread_id=record.thread_id,
            agent_id=r.agent,
            topic=trace.selection.topic or trace.selection.agent_id or r.agent,
            prompt_ref=kept.prompt.ref if kept is not None and kept.prompt is not None else None,
            router=trace.selection.router,
            sentiment_model=trace.sentiment.model,
            reflection_score=r.reflection.score,
            reward=0.5,
            created_at=now,
            updated_at=now,
            expires_at=self.turns.expiry(record.tenant_id, now),
        )

    def _revise(
        self,
        tenant: str,
        rid: str,
        change: Callable[[Outcome], Outcome],
        record: RequestRecord | None = None,
    ) -> tuple[Outcome, list[Event]]:
        """Apply ``change`` to the request's outcome, re-score it and write it at its next revision
        (retrying a lost race on a fresh read). An unchanged outcome is not rewritten. Without an
        outcome yet, it starts from the request's record (``record``, else read; NotFoundError if
        the request does not exist)."""
        for attempt in range(OUTCOME_RETRIES):
            if attempt:
                time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
            current = self.store.get_outcome(tenant, rid)
            if current is None:
                record = record or self._request(tenant, rid)
                base = self._base(record)
            else:
                base = current
            updated = score(change(base))
            if current is not None and _same(current, updated):
                return current, []
            now = self.clock()
            new = updated.model_copy(
                update={
                    "revision": base.revision + 1,
                    "updated_at": now,
                    "expires_at": self.turns.expiry(tenant, now),
                }
            )
            if self.store.put_outcome(new, current):
                return new, [_reward_event(new, current.reward if current is not None else None)]
            if self.turns.get_request(tenant, rid) is None:
                raise NotFoundError(f"request {rid!r} was deleted meanwhile", details={"request_id": rid})
        raise StorageError(f"the outcome of {rid!r} stayed busy; try again", details={"request_id": rid})

    def outcomes(self, tenant_id: str, since: float, until: float) -> Iterator[Outcome]:
        """Outcomes first assigned in ``[since, until)``, oldest first (the retraining export)."""
        now = self.clock()
        return (o for o in self.store.outcomes(tenant_id, since, until) if not _expired(o.expires_at, now))

    # ---- the bandit's statistics -------------------------------------------------------------------
    def arm_stats(self, tenant_id: str, topic: str) -> dict[str, tuple[float, float]]:
        """``agent_id -> (n, reward_sum)`` for a topic, both time-decayed: an outcome first assigned
        ``a`` hours ago counts ``0.5 ** (a / half_life_h)``; counters older than ``window_h`` are not
        read. One store read (the bandit caches the result for ``MASTRA_BANDIT_TTL_S``)."""
        now = self.clock()
        hour_now = now / 3600
        stats: dict[str, tuple[float, float]] = {}
        for b in self.store.arm_buckets(tenant_id, topic, int(hour_now) - self.window_h):
            age_h = max(0.0, hour_now - (b.hour + 0.5))
            dn, ds = decayed(b.n, b.reward_sum, age_h * 3600, self.half_life_h * 3600)
            n, s = stats.get(b.agent_id, (0.0, 0.0))
            stats[b.agent_id] = (n + dn, s + ds)
        return stats

    # ---- events ------------------------------------------------------------------------------------
    def _publish(self, events: Sequence[Event]) -> None:
        """Publish; if the queue fails, store the events directly (as the remember step does). The
        outcome is already written, so a double failure is logged, not raised."""
        if not events:
            return
        try:
            self._publisher().publish(events)
        except MastraError as exc:
            from mastra.events.consumer import event_records

            try:
                self.turns.record_events(event_records(events))
            except MastraError as fallback:
                log.error("feedback events lost (%s; then %s)", exc.message, fallback.message)


def _reward_event(outcome: Outcome, previous_reward: float | None) -> Event:
    """``reward.assigned`` for an outcome's revision (deterministic: id and time from the outcome)."""
    from mastra.events.models import RewardAssigned

    return RewardAssigned(
        event_id=f"{outcome.request_id}:reward.assigned:{outcome.revision}",
        occurred_at=outcome.updated_at,
        tenant_id=outcome.tenant_id,
        request_id=outcome.request_id,
        agent_id=outcome.agent_id,
        topic=outcome.topic,
        prompt_ref=outcome.prompt_ref,
        reward=outcome.reward,
        previous_reward=previous_reward,
        revision=outcome.revision,
        components=outcome.components,
    )


def score(outcome: Outcome) -> Outcome:
    """The outcome with its reward and components recomputed from its signals."""
    fb, implicit = outcome.feedback, outcome.implicit
    r = reward_of(
        Signals(
            thumbs=fb.thumbs if fb else None,
            rating=fb.rating if fb else None,
            comment_sentiment=fb.comment_sentiment if fb else None,
            rephrased=implicit.rephrased if implicit else None,
            next_sentiment=implicit.next_message_sentiment if implicit else None,
            reflection=outcome.reflection_score,
        )
    )
    return outcome.model_copy(update={"reward": r.reward, "components": r.components})


def _same(a: Outcome, b: Outcome) -> bool:
    keep = {"updated_at", "revision", "expires_at"}
    return a.model_dump(exclude=keep) == b.model_dump(exclude=keep)


def _expired(expires_at: float | None, now: float) -> bool:
    return expires_at is not None and expires_at <= now


def _record_of(request: RequestContext) -> RequestRecord:
    """The request's record as the remember step just stored it (its response is passed alongside)."""
    from mastra.storage.models import RequestRecord

    return RequestRecord(
        tenant_id=request.tenant_id,
        request_id=request.request_id,
        user_id=request.user_id,
        thread_id=request.thread_id,
        created_at=request.received_at,
        response={},
    )
