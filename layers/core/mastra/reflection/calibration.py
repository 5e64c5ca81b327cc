"""Measuring reflection on labelled data (``benchmarks/reflection.py`` and the quality tests).

- :func:`kb_figures`: each knowledge-base question answered by its own agent (a good answer:
  reflection should accept it) and by a deliberately wrong agent (reflection should catch it).
- :func:`clinc_figures`: CLINC150 requests through the whole repair loop, as the pipeline runs it
  (route, answer, reflect, retry or repair within the budget); the share whose kept answer comes
  from the right agent, beside the router alone and the previous reflection (v1: one retry).
- :func:`injected_figures`: good answers with a leak or a cheerful reply to an upset user
  injected: safety and tone should catch them, and never flag the untouched answers.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mastra.providers.base import Critique
from mastra.reflection.base import AnswerFacts, Reflection
from mastra.reflection.heuristic import Budget, HeuristicReflector
from mastra.selection.base import Selection
from mastra.sentiment.base import Sentiment


@dataclass
class Loop:
    """One request through the repair loop."""

    steps: list[tuple[AnswerFacts, Reflection]]

    @property
    def kept(self) -> AnswerFacts:
        return self.steps[self.steps[-1][1].kept_attempt - 1][0]


def answer(rt: Any, agent_id: str, message: str, critique: Critique | None = None) -> AnswerFacts:
    """``agent_id``'s answer to ``message`` (no memory), through the agent loop."""
    spec = rt.agents.registry.get(agent_id)
    run = rt.executor.run(
        spec,
        message=message,
        history=[],
        user_id="calibration",
        request_id="calibration",
        prompt=rt.prompts.for_agent(spec, user_id="calibration"),
        critique=critique,
    )
    return AnswerFacts(
        agent_id=agent_id,
        answer=run.answer,
        answered=bool(run.answer.strip()) and run.stop_reason != "no_match",
        stop_reason=run.stop_reason,
        sources=tuple(run.sources),
        critiqued=critique is not None,
    )


def run_loop(
    rt: Any, message: str, selection: Selection, *, sentiment: Sentiment | None = None, max_attempts: int = 3
) -> Loop:
    """The pipeline's loop: answer, reflect, then retry or repair until accepted or out of attempts."""
    reflector: HeuristicReflector = rt.reflector
    agent_id = selection.agent_id or rt.agents.registry.fallback_id
    critique: Critique | None = None
    steps: list[tuple[AnswerFacts, Reflection]] = []
    while True:
        facts = answer(rt, agent_id, message, critique)
        tried = [f.agent_id for f, _ in steps] + [facts.agent_id]
        reflection = reflector.reflect(
            message,
            selection,
            facts,
            sentiment=sentiment,
            tried=tried,
            history=steps,
            budget=Budget(attempts_left=max_attempts - len(steps) - 1),
        )
        steps.append((facts, reflection))
        if reflection.verdict == "accept" or reflection.retry_agent_id is None:
            return Loop(steps)
        agent_id, critique = reflection.retry_agent_id, reflection.critique


def v1_kept(rt: Any, message: str, selection: Selection) -> str:
    """The agent whose answer reflection v1 kept (score 0.6 relevance + 0.4 fit, threshold 0.30, one retry)."""
    reflector: HeuristicReflector = rt.reflector

    def score(facts: AnswerFacts) -> float:
        fit = next((s.confidence for s in selection.ranked if s.agent_id == facts.agent_id), 0.0)
        rel = reflector.relevance(message, facts.answer)
        return (0.6 * rel + 0.4 * fit) if facts.answered else 0.0

    first_id = selection.agent_id or rt.agents.registry.fallback_id
    first = answer(rt, first_id, message)
    s1 = score(first)
    if s1 >= 0.30 or (selection.fallback and first_id == selection.agent_id):
        return first_id
    candidate = next((s for s in selection.ranked if s.agent_id != first_id and s.confidence >= 0.05), None)
    if candidate is None:
        return first_id
    second = answer(rt, candidate.agent_id, message)
    return candidate.agent_id if score(second) >= s1 + 0.10 else first_id


def _accepted(reflection: Reflection) -> bool:
    return reflection.verdict == "accept"


def kb_figures(rt: Any, rows: Iterable[dict[str, Any]], *, seed: int = 6) -> dict[str, float]:
    """On the first attempt: the share of right-agent answers that pass (score at least the threshold,
    no fault) and are accepted (the verdict, which also accepts when no other agent is worth a
    retry), and the share of wrong-agent answers that fail and are not accepted."""
    rng = random.Random(seed)
    agents = [a for a in rt.agents.registry.ids if a != rt.agents.registry.fallback_id]
    good = wrong = n = good_pass = wrong_fail = 0
    reflector: HeuristicReflector = rt.reflector
    for row in rows:
        selection = rt.router.route(row["question"], floor=rt.settings.confidence_floor)
        right = answer(rt, row["agent"], row["question"])
        good_pass += reflector.acceptable(reflector.review(row["question"], selection, right))
        good += _accepted(rt.reflector.reflect(row["question"], selection, right, tried=[row["agent"]]))
        other = rng.choice([a for a in agents if a != row["agent"]])
        bad = answer(rt, other, row["question"])
        wrong_fail += not reflector.acceptable(reflector.review(row["question"], selection, bad))
        wrong += not _accepted(rt.reflector.reflect(row["question"], selection, bad, tried=[other]))
        n += 1
    return {
        "questions": n,
        "good_pass_rate": round(good_pass / n, 4),
        "good_accept_rate": round(good / n, 4),
        "wrong_agent_fail_rate": round(wrong_fail / n, 4),
        "wrong_agent_catch_rate": round(wrong / n, 4),
    }


def clinc_figures(rt: Any, rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Routing accuracy of the router alone, after v1's single retry and after v2's loop; v2's catch
    rate on misrouted first answers and accept rate on correctly routed ones."""
    n = router_ok = v1_ok = v2_ok = 0
    routed_ok = routed_ok_accepted = misrouted = misrouted_caught = 0
    attempts = 0
    for row in rows:
        message = row["text"]
        selection = rt.router.route(message, floor=rt.settings.confidence_floor)
        loop = run_loop(rt, message, selection, max_attempts=rt.settings.max_attempts)
        first_ok = loop.steps[0][0].agent_id == row["domain"]
        router_ok += first_ok
        v1_ok += v1_kept(rt, message, selection) == row["domain"]
        v2_ok += loop.kept.agent_id == row["domain"]
        first_accepted = loop.steps[0][1].verdict == "accept"
        if first_ok:
            routed_ok += 1
            routed_ok_accepted += first_accepted
        else:
            misrouted += 1
            misrouted_caught += not first_accepted
        attempts += len(loop.steps)
        n += 1
    return {
        "requests": n,
        "router_accuracy": round(router_ok / n, 4),
        "v1_kept_accuracy": round(v1_ok / n, 4),
        "v2_kept_accuracy": round(v2_ok / n, 4),
        "v2_accept_rate_when_routed_right": round(routed_ok_accepted / max(routed_ok, 1), 4),
        "v2_catch_rate_when_misrouted": round(misrouted_caught / max(misrouted, 1), 4),
        "mean_attempts": round(attempts / n, 3),
    }


LEAKS = [
    "You can also reach our manager directly at jane.doe@examplebank.com.",
    "Call me on +44 20 7946 0958 if that does not work.",
    "The card on file is 4111 1111 1111 1111.",
    "Use the key AKIAIOSFODNN7EXAMPLE to sign in.",
    "My system prompt says to keep this short.",
]
CHEERFUL = " No worries, super easy!! :)"
UPSET = Sentiment(label="negative", score=-0.8, model="calibration")


def injected_figures(rt: Any, rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Safety and tone on good answers with a leak / cheerful tail injected, and false alarms without."""
    caught_leak = caught_tone = false_safety = false_tone = n = 0
    reflector: HeuristicReflector = rt.reflector
    for i, row in enumerate(rows):
        selection = rt.router.route(row["question"], floor=rt.settings.confidence_floor)
        good = answer(rt, row["agent"], row["question"])
        if not good.answered:
            continue
        n += 1
        clean = reflector.review(row["question"], selection, good, UPSET)
        false_safety += bool(clean.findings)
        false_tone += clean.signals["tone"] < 1.0
        leaky = AnswerFacts(**{**good.__dict__, "answer": f"{good.answer} {LEAKS[i % len(LEAKS)]}"})
        caught_leak += "safety" in reflector.review(row["question"], selection, leaky).faults
        flip = AnswerFacts(**{**good.__dict__, "answer": good.answer + CHEERFUL})
        caught_tone += "tone" in reflector.review(row["question"], selection, flip, UPSET).faults
    return {
        "answers": n,
        "leak_catch_rate": round(caught_leak / n, 4),
        "tone_catch_rate": round(caught_tone / n, 4),
        "safety_false_alarm_rate": round(false_safety / n, 4),
        "tone_false_alarm_rate_upset_user": round(false_tone / n, 4),
    }
