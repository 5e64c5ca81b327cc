"""Measuring the offline defaults on labelled data (shared by tests, benchmarks and the CLI)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mastra.agents.agentset import AgentSet
from mastra.providers import ChatMessage, CompletionRequest, ProviderFactory
from mastra.selection.base import Router


def routing_accuracy(router: Router, rows: Iterable[dict[str, Any]], *, floor: float) -> float:
    """Share of ``{"text", "domain"}`` rows routed to the agent named by ``domain``.

    A request rejected to the fallback agent counts as wrong unless its label is the fallback's.
    """
    rows = list(rows)
    right = sum(bool(router.route(r["text"], floor=floor).agent_id == r["domain"]) for r in rows)
    return right / len(rows)


def knowledge_accuracy(agents: AgentSet, questions: Iterable[dict[str, Any]]) -> float:
    """Share of ``{"agent", "question", "passage"}`` rows whose offline answer carries the passage.

    The retrieval model is asked directly, with no tools offered: a question like "what's 4,350
    divided by 6" is rightly answered by the calculator, but here the knowledge base is measured.
    """
    providers = ProviderFactory(agents)
    questions = list(questions)
    right = 0
    for q in questions:
        spec = agents.registry.get(q["agent"])
        passage = next(p for p in spec.knowledge.passages if p.id == q["passage"])
        request = CompletionRequest(messages=[ChatMessage(role="user", content=q["question"])], settings=spec.model)
        right += passage.text in providers(spec).complete(request).message.content
    return right / len(questions)
