"""What reflection decides about an answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from mastra.providers.base import Critique

#: ``accept``: keep the best answer so far; ``retry``: ask the next-best agent (``retry_agent_id``);
#: ``repair``: ask the same agent again with ``critique``; ``block``: refuse (a prompt injection or jailbreak).
Verdict = Literal["accept", "retry", "repair", "block"]


class Reflection(BaseModel):
    """The verdict on an answer, the score and signals behind it, and why.

    ``verdict`` is ``retry`` when the answer is weak and another agent is worth a try
    (``retry_agent_id``), ``repair`` when the agent fits but the answer has a fixable fault
    (incomplete, wrong tone, unsafe): the same agent is asked again with ``critique``.
    ``kept_attempt`` is the attempt whose answer is kept so far (``chosen``: ``first`` or ``retry``).
    """

    verdict: Verdict
    score: float = Field(ge=0, le=1)
    signals: dict[str, float] = Field(default_factory=dict)
    reasons: dict[str, str] = Field(default_factory=dict, description="Per signal: why it scored as it did.")
    reason: str
    retry_agent_id: str | None = Field(None, description="The agent of the next attempt (retry or repair).")
    critique: Critique | None = Field(None, description="What the next attempt is asked to fix (repair).")
    attempt: int = 1
    kept_attempt: int = 1
    chosen: Literal["first", "retry"] = "first"
    previous_score: float | None = None
    findings: list[str] = Field(default_factory=list, description="Safety findings (kinds only, never the values).")
    skipped: bool = Field(False, description="Reflection was skipped (fast path or cached answer).")
    elapsed_ms: float = 0.0

    @property
    def safe(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class AnswerFacts:
    """What reflection looks at in one attempt."""

    agent_id: str
    answer: str
    answered: bool
    stop_reason: str = "end_turn"
    sources: tuple[str, ...] = field(default_factory=tuple)
    critiqued: bool = False
    #: The output screen's findings ('system_prompt', secret kinds): the answer leaks them.
    leaks: tuple[str, ...] = ()
