"""The feedback store contract: public flows here, small hooks in each backend (``sqlite``, ``dynamodb``).

    feedback   (tenant, request, user)   -> FeedbackRecord; a second one replaces the first
    outcome    (tenant, request)         -> Outcome, with a revision (optimistic writes)
    arm        (tenant, topic, hour, agent) -> n, reward_sum: the bandit's counters, per hour

An outcome write and its arm-counter delta are one atomic write, so the counters always equal the
sum over the outcomes: ``n`` grows by 1 when a request's outcome is first written, ``reward_sum``
by ``reward - previous reward`` on every revision, in the bucket of the hour the outcome was first
written. Feedback and outcomes live with their request and go when it goes (thread deletion, user
erasure, retention); arm counters hold no user data and expire after the stats window.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from mastra.feedback.models import FeedbackRecord, Outcome


@dataclass(frozen=True)
class ArmBucket:
    hour: int
    agent_id: str
    n: float
    reward_sum: float


class FeedbackStore(ABC):
    backend: ClassVar[str]

    @abstractmethod
    def put_feedback(self, record: FeedbackRecord) -> FeedbackRecord | None:
        """Insert or replace the (tenant, request, user) feedback; returns the one it replaced.
        The stored ``created_at`` stays the first submission's."""

    @abstractmethod
    def feedback_for(self, tenant_id: str, request_id: str) -> list[FeedbackRecord]:
        """A request's feedback, by user id."""

    @abstractmethod
    def get_outcome(self, tenant_id: str, request_id: str) -> Outcome | None: ...

    @abstractmethod
    def put_outcome(self, outcome: Outcome, previous: Outcome | None) -> bool:
        """Write ``outcome`` (revision ``previous.revision + 1``, or 1) only if the stored one is still
        ``previous`` (None: there is none), with its arm-counter delta, atomically. False: lost a race
        (re-read and retry). Refused (False) too if the request itself is gone (erased meanwhile)."""

    @abstractmethod
    def arm_buckets(self, tenant_id: str, topic: str, since_hour: int) -> list[ArmBucket]:
        """The topic's counters from ``since_hour`` on (one read)."""

    @abstractmethod
    def outcomes(self, tenant_id: str, since: float, until: float) -> Iterator[Outcome]:
        """Outcomes first written in ``[since, until)``, oldest first."""

    @staticmethod
    def delta(outcome: Outcome, previous: Outcome | None) -> tuple[int, float]:
        """``(dn, dreward)`` for the arm counters."""
        if previous is None:
            return 1, outcome.reward
        return 0, round(outcome.reward - previous.reward, 9)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (the SQLite file and the table are the turn store's)."""
