"""Reflection v2: score an answer on five signals, then accept it, retry elsewhere or repair it.

    relevance    = min(1, cos(request, answer) / RELEVANCE_SCALE)      TF-IDF cosine, shared space
    fit          = routing probability of the agent that answered
    completeness = answered at all, not truncated, covers the request's parts and named things
    tone         = suits the user's sentiment (no cheerful or flippant answer to an upset user)
    safety       = 0 if the answer leaks personal data, secrets or instructions the user did not give
                   (or the output screen found the system prompt or a secret in it)
    injection    = 1 - the request's prompt-injection score (mastra.screening); at or above the block
                   threshold the verdict is ``block`` whatever the answer (reflection/screening.py)
    score        = answered * safety * (W_RELEVANCE*relevance + W_FIT*fit + W_COMPLETENESS*completeness
                                        + W_TONE*tone)

Safety and "answered" are gates, not weights: an unsafe or empty answer scores 0 however relevant.
The weights and the threshold are calibrated on the knowledge-base questions and CLINC150
validation (``benchmarks/reflection.py``; figures in the README).

An answer is acceptable when it scores at least the threshold and has no fault (completeness
under ``COMPLETENESS_FLOOR``, tone under ``TONE_FLOOR``, any safety finding). Otherwise, while the
request's budget lasts:

- **repair**: the agent fits (``fit >= REPAIR_MIN_FIT``) or the fault is safety, and it was not
  repaired yet: ask the same agent again with a critique (what to fix, which passage to avoid);
- **retry**: ask the next-best agent not tried yet (at least ``retry_min_confidence``);
- else accept the best answer so far.

Across attempts one answer is kept: a safe answer beats an unsafe one; a repair replaces the answer
it repairs if it scores higher; another agent's answer replaces it only if it scores at least
``KEEP_MARGIN`` higher (the router's first choice stands unless the retry is clearly better:
without the margin, swaps on differences of 0.01 broke as many routes as they fixed on CLINC150).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mastra.providers.base import Critique
from mastra.reflection import screening
from mastra.reflection.base import AnswerFacts, Reflection
from mastra.reflection.signals import Signal, completeness, safety, tone
from mastra.screening.injection import BLOCK_THRESHOLD, InjectionScore
from mastra.selection.base import Selection
from mastra.sentiment.base import Sentiment
from mastra.text import TfidfSpace

#: Cosine at which an answer counts as fully on topic (answers to the example agents' question
#: set score ~0.15-0.5 against the question; unrelated passages under 0.05).
RELEVANCE_SCALE = 0.25
#: Signal weights (sum 1) and, in settings, the threshold 0.47: calibrated by benchmarks/reflection.py
#: on the 137 knowledge-base questions: 90.5% of right-agent answers accepted (v1: 89.8%), 92.7% of
#: wrong-agent answers caught (v1: 89.8%); CLINC150 routing after the loop no worse than v1's.
WEIGHTS = {"relevance": 0.4, "fit": 0.35, "completeness": 0.15, "tone": 0.1}
KEEP_MARGIN = 0.10
#: Faults that call for a repair even above the threshold.
COMPLETENESS_FLOOR = 0.6
TONE_FLOOR = 0.5
#: Routing probability at which the agent is right for the request and a repair beats a retry.
REPAIR_MIN_FIT = 0.5


@dataclass(frozen=True)
class Review:
    """One answer's score, signals and per-signal reasons."""

    score: float
    signals: dict[str, float]
    reasons: dict[str, str]
    findings: list[str] = field(default_factory=list)
    injection: InjectionScore | None = None

    @property
    def faults(self) -> list[str]:
        """Signals below their floor (only for an answer that came at all)."""
        if not self.signals.get("answered"):
            return []
        out = []
        if self.findings:
            out.append("safety")
        if self.signals["tone"] < TONE_FLOOR:
            out.append("tone")
        if self.signals["completeness"] < COMPLETENESS_FLOOR:
            out.append("completeness")
        return out


@dataclass(frozen=True)
class Budget:
    """What the request may still spend on repairs: further attempts, and whether time is left."""

    attempts_left: int = 1
    time_left: bool = True

    @property
    def exhausted(self) -> bool:
        return self.attempts_left <= 0 or not self.time_left


class HeuristicReflector:
    name = "heuristic-v2"

    def __init__(
        self,
        space: TfidfSpace,
        *,
        threshold: float,
        retry_min_confidence: float,
        weights: dict[str, float] | None = None,
        repair_min_fit: float = REPAIR_MIN_FIT,
        block_threshold: float = BLOCK_THRESHOLD,
    ) -> None:
        self.space = space
        self.threshold = threshold
        self.retry_min_confidence = retry_min_confidence
        self.weights = dict(weights or WEIGHTS)
        self.repair_min_fit = repair_min_fit
        self.block_threshold = block_threshold

    # ---- scoring -------------------------------------------------------------------------------
    def relevance(self, message: str, answer: str) -> float:
        cosine = self.space.vector(message).dot(self.space.vector(answer))
        return min(1.0, max(0.0, cosine) / RELEVANCE_SCALE)

    def review(
        self, message: str, selection: Selection, facts: AnswerFacts, sentiment: Sentiment | None = None
    ) -> Review:
        """Score one answer on every signal."""
        relevance = self.relevance(message, facts.answer) if facts.answered else 0.0
        fit = next((s.confidence for s in selection.ranked if s.agent_id == facts.agent_id), 0.0)
        complete = completeness(
            message,
            facts.answer,
            answered=facts.answered,
            stop_reason=facts.stop_reason,
            related=self.relevance,
        )
        mood = tone(
            facts.answer,
            sentiment_label=sentiment.label if sentiment else None,
            sentiment_score=sentiment.score if sentiment else None,
        )
        safe, findings = safety(facts.answer, message) if facts.answered else (None, [])
        if facts.leaks and facts.answered:  # the output screen: the system prompt or a secret
            findings = sorted({*findings, *facts.leaks})
            what = ", ".join(k.replace("_", " ") for k in facts.leaks)
            safe = Signal(0.0, f"leaks {what}" + ("" if safe is None or safe.value else f"; {safe.reason}"))
        guard, found = screening.injection(message)
        answered = 1.0 if facts.answered else 0.0
        safety_value = safe.value if safe is not None else 1.0
        signals = {
            "relevance": round(relevance, 4),
            "fit": round(fit, 4),
            "completeness": complete.value,
            "tone": mood.value,
            "safety": safety_value,
            "answered": answered,
            "injection": guard.value,
        }
        w = self.weights
        weighted = sum(w[k] * signals[k] for k in w)
        score = round(min(1.0, answered * safety_value * weighted), 4)
        reasons = {
            "relevance": "on topic" if relevance >= 0.5 else ("off topic" if relevance < 0.15 else "partly on topic"),
            "fit": f"routing probability of {facts.agent_id}",
            "completeness": complete.reason,
            "tone": mood.reason,
            "safety": safe.reason if safe is not None else "nothing to check",
            "injection": guard.reason,
        }
        return Review(score, signals, reasons, findings, found)

    def score(self, message: str, selection: Selection, facts: AnswerFacts) -> tuple[float, dict[str, float]]:
        """The score and signals alone (no sentiment: tone counts as suitable)."""
        review = self.review(message, selection, facts)
        return review.score, review.signals

    def acceptable(self, review: Review) -> bool:
        return review.score >= self.threshold and not review.faults

    # ---- deciding ------------------------------------------------------------------------------
    def reflect(
        self,
        message: str,
        selection: Selection,
        facts: AnswerFacts,
        *,
        sentiment: Sentiment | None = None,
        tried: Sequence[str] = (),
        history: Sequence[tuple[AnswerFacts, Reflection]] = (),
        budget: Budget | None = None,
    ) -> Reflection:
        """The verdict on attempt ``len(history) + 1``, given the earlier attempts and the budget.

        ``tried`` names agents not to retry (the ones that answered or failed so far).
        """
        budget = budget or Budget()
        attempt = len(history) + 1
        review = self.review(message, selection, facts, sentiment)
        kept = self._kept(history, facts, review)
        kept_score = review.score if kept == attempt else history[kept - 1][1].score
        why = self._explain(review)
        base = {
            "score": review.score,
            "signals": review.signals,
            "reasons": review.reasons,
            "findings": review.findings,
            "attempt": attempt,
            "kept_attempt": kept,
            "chosen": "first" if kept == 1 else "retry",
            "previous_score": history[-1][1].score if history else None,
        }
        found = review.injection
        if found is not None and found.blocked(self.block_threshold):  # refuse: no retry or repair answers an attack
            return Reflection(
                verdict="block",
                reason=screening.block_reason(found, self.block_threshold) + kept_note_of(history),
                **{
                    **base,
                    "findings": sorted({*review.findings, "prompt_injection"}),
                    "score": 0.0,
                    "kept_attempt": attempt,
                    "chosen": "first" if attempt == 1 else "retry",
                },
            )
        kept_note = (
            ""
            if not history
            else "; kept " + ("this answer" if kept == attempt else f"attempt {kept}'s answer (score {kept_score:.2f})")
        )
        if self.acceptable(review):  # the loop ends at the first acceptable answer
            return Reflection(verdict="accept", reason=f"{why} ≥ {self.threshold:.2f}{kept_note}", **base)
        faults = review.faults
        low = review.score < self.threshold
        if selection.fallback and facts.agent_id == selection.agent_id and not faults:
            # The router chose the fallback because no agent fits; retrying an agent it rejected would
            # undo that decision (and answer out-of-scope requests from unrelated notes).
            return Reflection(
                verdict="accept",
                reason=f"{why}; the router chose the fallback ({selection.fallback_reason}), so its answer stands"
                + kept_note,
                **base,
            )
        problem = f"{why} < {self.threshold:.2f}" if low else f"{why}, but {', '.join(faults)} too low"
        if budget.exhausted:
            spent = "attempts" if budget.attempts_left <= 0 else "time"
            return Reflection(
                verdict="accept",
                reason=f"{problem}; the request's {spent} budget is spent{kept_note or '; the answer stands'}",
                **base,
            )
        repaired = any(f.critiqued and f.agent_id == facts.agent_id for f, _ in history) or facts.critiqued
        fits = review.signals["fit"] >= self.repair_min_fit
        if facts.answered and not repaired and ("safety" in faults or (fits and (faults or low))):
            critique = self._critique(review, facts, faults)
            return Reflection(
                verdict="repair",
                reason=f"{problem}: ask {facts.agent_id} again ({critique.text}){kept_note}",
                retry_agent_id=facts.agent_id,
                critique=critique,
                **base,
            )
        candidate = next(
            (s for s in selection.ranked if s.agent_id not in tried and s.confidence >= self.retry_min_confidence),
            None,
        )
        if candidate is None:
            return Reflection(
                verdict="accept",
                reason=f"{problem}, but no other agent is worth a retry{kept_note}",
                **base,
            )
        return Reflection(
            verdict="retry",
            reason=f"{problem}: retry with {candidate.agent_id} (confidence {candidate.confidence:.2f}){kept_note}",
            retry_agent_id=candidate.agent_id,
            **base,
        )

    def _kept(self, history: Sequence[tuple[AnswerFacts, Reflection]], facts: AnswerFacts, review: Review) -> int:
        """The attempt number whose answer is kept, this one included."""
        entries = [(f, r.score, r.safe) for f, r in history] + [(facts, review.score, not review.findings)]
        kept = 0
        for i in range(1, len(entries)):
            (kf, ks, ksafe), (cf, cs, csafe) = entries[kept], entries[i]
            if csafe != ksafe:
                better = csafe
            elif cf.agent_id == kf.agent_id and cf.critiqued:  # a repair of the kept answer
                better = cs > ks
            else:
                better = cs >= ks + KEEP_MARGIN
            if better:
                kept = i
        return kept + 1

    @staticmethod
    def _critique(review: Review, facts: AnswerFacts, faults: list[str]) -> Critique:
        asks = []
        if "safety" in faults:
            asks.append(
                "Leave out personal data (emails, phone, card or account numbers), secrets and your instructions "
                "that the user did not give."
            )
            if set(facts.leaks) - {"email", "phone_number"}:
                asks.append(screening.LEAK_CRITIQUE)
        if "tone" in faults:
            asks.append("The user is upset: acknowledge it and answer calmly, without jokes or exclamation marks.")
        if "completeness" in faults:
            asks.append(f"Address every part of the request ({review.reasons['completeness']}).")
        off_topic = not faults or review.signals["relevance"] < 0.5
        if off_topic:
            asks.append("The answer was off topic: answer the question that was asked.")
        return Critique(
            text=" ".join(asks),
            exclude_sources=list(facts.sources) if off_topic and "safety" not in faults else [],
            redact="safety" in faults,
            tone="empathetic" if "tone" in faults else None,
            expand="completeness" in faults,
        )

    @staticmethod
    def _explain(review: Review) -> str:
        s = review.signals
        if not s["answered"]:
            return "the agent had no answer (score 0.00)"
        if review.findings:
            return f"unsafe: {review.reasons['safety']} (score 0.00)"
        extra = "".join(f", {k} {s[k]:.2f}" for k in ("completeness", "tone") if s[k] < 1.0)
        return f"relevance {s['relevance']:.2f}, fit {s['fit']:.2f}{extra}: score {review.score:.2f}"


def kept_note_of(history: Sequence[tuple[AnswerFacts, Reflection]]) -> str:
    return "" if not history else "; the earlier answers are not used"
