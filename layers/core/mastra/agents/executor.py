"""The agent loop: ask the model, run the tools it asks for, feed results back, until it answers.

Every provider goes through this loop, the offline retrieval model included, so tool use,
deadlines and limits behave the same whichever model answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mastra.errors import StepTimeoutError, ToolError
from mastra.models import PromptUse
from mastra.prompts.registry import PromptChoice, inline_choice
from mastra.providers.base import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    Critique,
    ModelProvider,
    ToolResult,
    ToolSpec,
    Usage,
)
from mastra.spec.models import AgentSpec
from mastra.tools import TOOLS, ToolContext

MAX_TOOL_ROUNDS = 4


@dataclass
class AgentRun:
    answer: str
    model_id: str
    stop_reason: str
    sources: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, object]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    prompt: PromptUse | None = None
    #: The rendered system prompt the model ran with (None: the provider reads none), for the output screen.
    system: str | None = None


class AgentExecutor:
    def __init__(self, provider_for: Callable[[AgentSpec], ModelProvider], *, max_tool_rounds: int = MAX_TOOL_ROUNDS):
        self.provider_for = provider_for
        self.max_tool_rounds = max_tool_rounds
        self._tool_specs: dict[str, ToolSpec] = {}

    def _tools(self, spec: AgentSpec) -> list[ToolSpec]:
        out = []
        for name in spec.tools:
            ts = self._tool_specs.get(name)
            if ts is None:
                tool = TOOLS[name]
                ts = self._tool_specs[name] = ToolSpec(
                    name=tool.name, description=tool.description, input_schema=tool.input_schema
                )
            out.append(ts)
        return out

    def run(
        self,
        spec: AgentSpec,
        *,
        message: str,
        history: list[ChatMessage],
        user_id: str,
        request_id: str,
        prompt: PromptChoice | None = None,
        variables: dict[str, Any] | None = None,
        critique: Critique | None = None,
        timeout_s: float | None = None,
    ) -> AgentRun:
        """Run ``spec``'s agent on ``message`` within its ``timeout_s``.

        ``prompt`` is the resolved prompt version (``PromptService.for_agent``; default: the spec's
        inline template). Its model settings apply over the spec's. ``variables`` are extra template
        values for this request (the memory's ``working_memory``, ``summary``, ``recalled``). The
        template is rendered only for a provider that reads a system prompt. ``critique`` (a repair
        attempt) goes to the model with every round; ``timeout_s`` (adaptive) replaces the spec's.
        """
        provider = self.provider_for(spec)
        limit = spec.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + limit
        choice = prompt if prompt is not None else inline_choice(spec, user_id=user_id)
        settings = spec.model.model_copy(update=dict(choice.model)) if choice.model else spec.model
        system = choice.render(variables) if provider.uses_system_prompt else None
        messages = [*history, ChatMessage(role="user", content=message)]
        tools = self._tools(spec)
        context = ToolContext(request_id=request_id, user_id=user_id)
        run = AgentRun(
            answer="", model_id=settings.model_id, stop_reason="end_turn", prompt=choice.use(), system=system
        )
        for round_no in range(self.max_tool_rounds + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StepTimeoutError(f"agent {spec.id!r} ran out of its {limit:g} s budget")
            response: CompletionResponse = provider.complete(
                CompletionRequest(
                    system=system,
                    messages=messages,
                    # On the last round the model must answer: it is offered no tools.
                    tools=tools if round_no < self.max_tool_rounds else [],
                    settings=settings,
                    timeout_s=remaining,
                    memory=variables or {},
                    critique=critique,
                )
            )
            run.usage = run.usage + response.usage
            run.model_id = response.model_id or run.model_id
            run.sources.extend(response.sources)
            calls = response.message.tool_calls
            if not calls or round_no == self.max_tool_rounds:
                run.answer = response.message.content
                run.stop_reason = response.stop_reason
                return run
            messages.append(response.message)
            results = []
            for call in calls:
                result = self._call_tool(spec, call.name, call.arguments, context)
                results.append(ToolResult(tool_call_id=call.id, name=call.name, content=result[0], is_error=result[1]))
                run.tool_calls.append(
                    {
                        "name": call.name,
                        "arguments": call.arguments,
                        "result": result[0],
                        "is_error": result[1],
                    }
                )
            messages.append(ChatMessage(role="tool", tool_results=results))
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _call_tool(
        spec: AgentSpec, name: str, arguments: dict[str, object], context: ToolContext
    ) -> tuple[dict[str, object], bool]:
        """Run one tool call; errors go back to the model as the result, they do not end the run."""
        if name not in spec.tools:
            return {"error": f"tool {name!r} is not available to this agent"}, True
        try:
            return TOOLS[name].invoke(dict(arguments), context).model_dump(), False
        except ToolError as exc:
            return {"error": exc.message}, True
