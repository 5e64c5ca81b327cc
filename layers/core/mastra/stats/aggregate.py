"""Events -> bucket updates (pure): which counters of which hourly buckets each event adds to.

Every request-scoped figure lands in the hour the request arrived (read from its ULID request id,
else the event's time), so a reward assigned a day later still improves the right hour.

- ``request.completed``: ``requests``, ``errors`` (a step failed and the request recovered),
  ``blocked`` (refused as a prompt injection) and ``redacted`` (a leak redacted from the answer),
  the latency histogram and ``latency_sum``, ``reflection_sum/_n``; per agent (the kept answer's),
  prompt version and topic.
- ``request.failed``: ``requests`` and ``errors`` in the group ``unknown`` (no agent was kept).
- ``feedback.received``: ``up``, ``down``, ``ratings``/``rating_sum``, ``comments``. A replacement
  (``replaced``) takes back what it replaces (``previous_*``): the counts are of each request and
  user's latest feedback, as the reward is.
- ``reward.assigned``: ``reward_sum`` += reward - previous_reward; ``reward_n`` += 1 only the first
  time (``previous_reward`` is None).

Other events change no counters and write nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mastra.events.models import Event, FeedbackReceived, RequestCompleted, RequestFailed, RewardAssigned
from mastra.stats.models import BucketKey, Dimension, Update, histogram_index, hour_of

_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
UNKNOWN = "unknown"


def request_time(request_id: str, fallback: float) -> float:
    """When a request arrived: the millisecond time in its ULID id, else ``fallback``."""
    if len(request_id) != 26 or any(c not in _ULID for c in request_id):
        return fallback
    ms = 0
    for c in request_id[:10]:
        ms = ms * 32 + _ULID.index(c)
    t = ms / 1000
    return t if abs(t - fallback) < 366 * 86400 else fallback  # a ULID-looking id that is not one


def _groups(agent: str, prompt_ref: str | None, topic: str | None) -> list[tuple[Dimension, str]]:
    groups: list[tuple[Dimension, str]] = [("agent", agent), ("topic", topic or agent)]
    if prompt_ref:
        groups.append(("prompt", prompt_ref))
    return groups


def counters_of(event: Event) -> tuple[list[tuple[Dimension, str]], dict[str, float]]:
    """The groups an event counts in, and what it adds to each (nothing: ``([], {})``)."""
    if isinstance(event, RequestCompleted):
        add = {"requests": 1.0, f"h{histogram_index(event.latency_ms)}": 1.0, "latency_sum": event.latency_ms}
        if event.errors:
            add["errors"] = 1.0
        if event.blocked:  # screening: refused as an injection, or a leak redacted from the answer
            add["blocked"] = 1.0
        if event.redacted:
            add["redacted"] = 1.0
        if event.reflection_score is not None:
            add |= {"reflection_sum": event.reflection_score, "reflection_n": 1.0}
        return _groups(event.agent_id, event.prompt_ref, event.topic), add
    if isinstance(event, RequestFailed):
        return [(d, UNKNOWN) for d in ("agent", "topic")], {"requests": 1.0, "errors": 1.0}
    if isinstance(event, FeedbackReceived):  # a replacement takes back what it replaces
        add = _feedback_counts(event.thumbs, event.rating, event.has_comment, 1.0)
        if event.replaced:
            taken = _feedback_counts(event.previous_thumbs, event.previous_rating, event.previous_had_comment, -1.0)
            add = {k: add.get(k, 0.0) + taken.get(k, 0.0) for k in add.keys() | taken.keys()}
            add = {k: v for k, v in add.items() if v}
        if not add:
            return [], {}
        return _groups(event.agent_id, event.prompt_ref, event.topic), add
    if isinstance(event, RewardAssigned):
        add = {"reward_sum": event.reward - (event.previous_reward or 0.0)}
        if event.previous_reward is None:
            add["reward_n"] = 1.0
        return _groups(event.agent_id, event.prompt_ref, event.topic), add
    return [], {}


def _feedback_counts(thumbs: str | None, rating: int | None, has_comment: bool, sign: float) -> dict[str, float]:
    add: dict[str, float] = {}
    if thumbs is not None:
        add[thumbs] = sign
    if rating is not None:
        add |= {"ratings": sign, "rating_sum": sign * rating}
    if has_comment:
        add["comments"] = sign
    return add


def updates_for(events: Iterable[Event]) -> list[Update]:
    """One update per event that changes a counter (in order; duplicates within a batch once)."""
    out: dict[tuple[str, str], Update] = {}
    for e in events:
        groups, add = counters_of(e)
        add = {k: v for k, v in add.items() if v != 0 or k.endswith("_n")}
        if not groups or not add:
            continue
        hour = hour_of(request_time(e.request_id, e.occurred_at))
        counters = {BucketKey(dim, key, hour): dict(add) for dim, key in groups}
        out.setdefault((e.tenant_id, e.event_id), Update(e.tenant_id, e.event_id, e.occurred_at, counters))
    return list(out.values())


def applied_events(events: Sequence[Event], applied: Sequence[Update]) -> list[Event]:
    """The events whose updates were applied now (not before): what metrics should count once."""
    ids = {(u.tenant_id, u.event_id) for u in applied}
    return [e for e in events if (e.tenant_id, e.event_id) in ids]
