"""The agent loop: ask the model, run the tools it asks for, feed results back, until it answers.

Every provider goes through this loop, the offline retrieval model included, so tool use,
deadlines and limits behave the same whichever model answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mastra.errors import StepTimeoutError, ToolError
from mastra.models import PromptUse
from mastra.prompts.registry import PromptChoice, inline_choice
from mastra.providers.base import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    Critique,
    ModelProvider,
    ProviderFailure,
    ToolResult,
    ToolSpec,
    Usage,
)
from mastra.spec.models import AgentSpec
from mastra.tools import TOOLS, ToolContext

if TYPE_CHECKING:
    from mastra.tools.external import ExternalToolRunner
    from mastra.tools.mcp import McpTools

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
    #: The provider that gave the final answer ("" if the provider does not say: the agent's own).
    provider: str = ""
    #: Models of the agent's fallback chain that failed, over every round.
    provider_failures: list[ProviderFailure] = field(default_factory=list)
    #: The rendered system prompt the model ran with (None: the provider reads none), for the output screen.
    system: str | None = None


class AgentExecutor:
    def __init__(
        self,
        provider_for: Callable[[AgentSpec], ModelProvider],
        *,
        max_tool_rounds: int = MAX_TOOL_ROUNDS,
        external_tools: ExternalToolRunner | None = None,
        mcp_tools: McpTools | None = None,
    ):
        self.provider_for = provider_for
        self.max_tool_rounds = max_tool_rounds
        self._tool_specs: dict[str, ToolSpec] = {}
        self._external = external_tools
        self._mcp = mcp_tools

    @property
    def mcp_tools(self) -> McpTools:
        if self._mcp is None:
            from mastra.tools.mcp import McpTools

            self._mcp = McpTools()
        return self._mcp

    @property
    def external_tools(self) -> ExternalToolRunner:
        if self._external is None:
            from mastra.tools.external import ExternalToolRunner

            secrets = getattr(self.provider_for, "secrets", None)
            self._external = ExternalToolRunner(secret=secrets.resolve if secrets is not None else None)
        return self._external

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
        out.extend(
            ToolSpec(name=t.name, description=t.description, input_schema=t.input_schema) for t in spec.external_tools
        )
        if spec.mcp_servers:  # listed once per server, then cached
            out.extend(self.mcp_tools.specs(spec.id, spec.mcp_servers))
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
                    context={"agent_id": spec.id, "request_id": request_id, "user_id": user_id},
                )
            )
            run.usage = run.usage + response.usage
            run.provider = response.provider or run.provider
            run.provider_failures.extend(response.failures)
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

    def _call_tool(
        self, spec: AgentSpec, name: str, arguments: dict[str, object], context: ToolContext
    ) -> tuple[dict[str, object], bool]:
        """Run one tool call; errors go back to the model as the result, they do not end the run."""
        external = next((t for t in spec.external_tools if t.name == name), None)
        mcp = self.mcp_tools.find(spec.id, spec.mcp_servers, name) if spec.mcp_servers else None
        if name not in spec.tools and external is None and mcp is None:
            return {"error": f"tool {name!r} is not available to this agent"}, True
        try:
            if mcp is not None:
                return mcp[0].call(mcp[1], dict(arguments)).model_dump(), False
            if external is not None:
                return self.external_tools.invoke(external, dict(arguments), context).model_dump(), False
            return TOOLS[name].invoke(dict(arguments), context).model_dump(), False
        except ToolError as exc:
            return {"error": exc.message}, True
