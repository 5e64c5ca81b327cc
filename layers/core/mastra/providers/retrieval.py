"""The offline default model: answers from the agent's knowledge base, and calls tools.

It is a retrieval model, not a canned echo: the user's message is matched against the agent's
passages in a TF-IDF space and the best passage is the answer (with its id as the source). When
the agent has tools, each tool's ``extract`` reads arguments out of the message; a hit becomes a
tool call through the same agent loop an LLM's tool use goes through, and the tool's result is
then the answer.
"""

from __future__ import annotations

from typing import Any

from mastra.knowledge import KnowledgeIndex
from mastra.providers.base import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    Critique,
    ModelProvider,
    ToolCall,
    last_user_text,
)
from mastra.text import TfidfSpace
from mastra.tools import TOOLS

#: Below this score the best passage is not an answer. Chosen on the development question set
#: (tests/data/kb_questions): it keeps 97.5% of answerable questions and turns away 40% of
#: questions put to the wrong agent's knowledge base, which lets reflection retry elsewhere.
MIN_SCORE = 0.08


class RetrievalProvider(ModelProvider):
    name = "retrieval"
    uses_system_prompt = False

    def __init__(
        self, space: TfidfSpace, index: KnowledgeIndex, no_answer: str, *, min_score: float = MIN_SCORE
    ) -> None:
        self.space = space
        self.index = index
        self.no_answer = no_answer
        self.min_score = min_score

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        last = request.messages[-1]
        if last.role == "tool":
            return self._answer_from_tools(last)
        question = last_user_text(request.messages)
        for spec in request.tools:
            tool = TOOLS.get(spec.name)
            arguments = tool.extract(question) if tool is not None and tool.extract else None
            if arguments is not None:
                call = ToolCall(id=f"call_{spec.name}", name=spec.name, arguments=arguments)
                return CompletionResponse(
                    message=ChatMessage(role="assistant", tool_calls=[call]),
                    stop_reason="tool_use",
                    model_id=request.settings.model_id,
                )
        critique = request.critique
        excluded = set(critique.exclude_sources) if critique else set()
        hits = [
            h
            for h in self.index.search(self.space.vector(question), k=len(excluded) + 2)
            if h.passage.id not in excluded and h.score >= self.min_score
        ]
        if hits:
            # A repair asked to cover every part of the request: the next passage that matches too.
            chosen = hits[:2] if critique is not None and critique.expand else hits[:1]
            text = "\n\n".join(personalised(h.passage.text, request.memory) for h in chosen)
            return CompletionResponse(
                message=ChatMessage(role="assistant", content=revise(text, question, critique)),
                model_id=request.settings.model_id,
                sources=[h.passage.id for h in chosen],
            )
        return CompletionResponse(
            message=ChatMessage(role="assistant", content=self.no_answer),
            stop_reason="no_match",
            model_id=request.settings.model_id,
        )

    @staticmethod
    def _answer_from_tools(message: ChatMessage) -> CompletionResponse:
        parts = []
        for result in message.tool_results:
            text = str(result.content.get("text") or result.content.get("error") or "")
            parts.append(f"Sorry, I couldn't do that: {text}" if result.is_error else text)
        return CompletionResponse(message=ChatMessage(role="assistant", content=" ".join(parts)))


#: The opening a repair adds for an upset user.
EMPATHY = "I'm sorry about the trouble - here is what should help."


def revise(text: str, question: str, critique: Critique | None) -> str:
    """A passage revised as a repair's critique asks: leaks redacted, the tone made calm and kind."""
    if critique is None:
        return text
    if critique.redact:
        from mastra.reflection.signals import redact

        text = redact(text, question)
    if critique.tone == "empathetic":
        from mastra.reflection.signals import calm

        text = f"{EMPATHY} {calm(text)}"
    return text


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def personalised(text: str, memory: dict[str, Any]) -> str:
    """A passage that is a template (``{{ working_memory.name }}``) rendered with the user's memory,
    in the prompt sandbox; any other passage as written."""
    if not is_template(text):
        return text
    from mastra.prompts.render import render

    variables = {"working_memory": {}, "summary": "", "recalled": [], **memory}
    return render(text, [], {}, variables)
