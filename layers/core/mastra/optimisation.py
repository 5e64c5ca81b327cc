"""Runtime optimisation from observed statistics: fast paths, adaptive timeouts, cache eligibility.

Statistics come from an :class:`AgentStatsSource` (the stats service on a full deployment; the
:class:`NullAgentStats` source knows nothing, and then every decision falls back to the spec).

- :func:`fast_path`: skip reflection when the router is sure, the agent's answers have been
  judged well (reflection score and reward) over at least ``stats_min_n`` requests, and the answer
  passes the (microsecond) safety check: a leak is never waved through.
- :func:`adaptive_timeout`: ``clamp(k * p99, floor, spec.timeout_s)``: a stuck call ends long
  before the spec's worst case when the agent is known to be fast.
- :func:`personalised`: why an answer must not be shared through the cache (None: it may).
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import TYPE_CHECKING, Protocol

from mastra.errors import MastraError
from mastra.stats.models import AgentStats

if TYPE_CHECKING:
    from mastra.memory.models import MemoryUse
    from mastra.settings import Settings
    from mastra.spec.models import AgentSpec

log = logging.getLogger(__name__)

#: Tools whose results depend on the time or on chance: answers that used them are never cached.
VOLATILE_TOOLS = frozenset({"clock", "chance"})
#: Prompt variables that make a rendered prompt depend on the user or the day whatever the context
#: holds (the memory variables count only when the context holds memory: see :func:`personalised`).
PERSONAL_VARIABLES = ("user_id", "today")


class AgentStatsSource(Protocol):
    def agent_stats(self, tenant_id: str, agent_id: str) -> AgentStats | None:
        """The agent's observed statistics, or None if nothing is known."""
        ...


class GuardedAgentStats:
    """A source whose failures cost only the optimisation: a stats read that fails (the table is
    throttled, say) answers None, and the request runs on its spec's settings."""

    def __init__(self, source: AgentStatsSource) -> None:
        self.source = source

    def agent_stats(self, tenant_id: str, agent_id: str) -> AgentStats | None:
        try:
            return self.source.agent_stats(tenant_id, agent_id)
        except MastraError as exc:
            log.warning("agent statistics unavailable (%s); using %s's spec settings", exc.message, agent_id)
            return None


class NullAgentStats:
    """Knows nothing: every decision falls back to the agent's spec."""

    def agent_stats(self, tenant_id: str, agent_id: str) -> AgentStats | None:
        return None


def adaptive_timeout(spec_timeout_s: float, stats: AgentStats | None, settings: Settings) -> float:
    """``clamp(k * observed p99, floor, spec timeout)``; the spec's timeout with too few observations.

    >>> from mastra.settings import Settings
    >>> adaptive_timeout(10.0, AgentStats(n=100, p99_ms=400.0), Settings())
    2.0
    >>> adaptive_timeout(10.0, AgentStats(n=100, p99_ms=2000.0), Settings())
    6.0
    """
    if stats is None or stats.p99_ms is None or stats.n < settings.stats_min_n:
        return spec_timeout_s
    wanted = settings.timeout_p99_factor * stats.p99_ms / 1000
    return round(min(spec_timeout_s, max(settings.timeout_floor_s, wanted)), 3)


def fast_path(confidence: float | None, stats: AgentStats | None, settings: Settings) -> str | None:
    """Why reflection may be skipped on this path (None: reflect as usual)."""
    if confidence is None or confidence < settings.reflection_skip_confidence:
        return None
    if stats is None or stats.n < settings.stats_min_n or stats.reflection_score is None:
        return None
    floor = settings.reflection_skip_min_score
    if stats.reflection_score < floor or (stats.reward is not None and stats.reward < floor):
        return None
    reward = "" if stats.reward is None else f", reward {stats.reward:.2f}"
    return (
        f"fast path: confidence {confidence:.2f}; over {stats.n} requests the agent scored "
        f"{stats.reflection_score:.2f}{reward}"
    )


def personalised(spec: AgentSpec, template: str, memory: MemoryUse | None, *, new_thread: bool) -> str | None:
    """Why this agent's answer depends on who asks (None: the same request gets the same answer)."""
    if spec.memory.working:
        return "the agent keeps working memory"
    if any(re.search(r"\{[{%][^}]*\b" + v + r"\b", template) for v in PERSONAL_VARIABLES):
        return "the agent's prompt is personalised"
    if memory is not None:
        if memory.history and not new_thread:
            return "the thread's history is in the context"
        if memory.recalled:
            return "recalled messages are in the context"
        if memory.summary_messages:
            return "the thread's summary is in the context"
        if memory.working_memory_version is not None:
            return "the user's profile is in the context"
    if any("{{" in p.text or "{%" in p.text for p in spec.knowledge.passages) if spec.knowledge else False:
        return "the agent's answers are personalised"
    return None


def normalise_request(message: str) -> str:
    """Case, spacing and trailing punctuation do not make a request different.

    >>> normalise_request("  How do I   reset my PIN?? ")
    'how do i reset my pin'
    """
    return re.sub(r"\s+", " ", message.lower()).strip().rstrip("?!. ")


def cache_key(tenant_id: str, agent_id: str, prompt_ref: str, message: str) -> str:
    """The answer cache's key: tenant, agent, prompt version and the normalised request."""
    text = "\x1f".join((tenant_id, agent_id, prompt_ref, normalise_request(message)))
    return hashlib.sha256(text.encode()).hexdigest()[:40]
