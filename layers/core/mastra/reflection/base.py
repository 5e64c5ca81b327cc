"""What reflection decides about an answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

Verdict = Literal["accept", "retry"]


class Reflection(BaseModel):
    """The verdict on an answer, the score and signals behind it, and why.

    ``verdict`` is ``retry`` when the answer is weak and another agent is worth a try
    (``retry_agent_id``). After a retry, ``chosen`` says which attempt's answer is kept.
    """

    verdict: Verdict
    score: float = Field(ge=0, le=1)
    signals: dict[str, float] = Field(default_factory=dict)
    reason: str
    retry_agent_id: str | None = None
    chosen: Literal["first", "retry"] = "first"
    previous_score: float | None = None
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class AnswerFacts:
    """What reflection looks at in one attempt."""

    agent_id: str
    answer: str
    answered: bool
