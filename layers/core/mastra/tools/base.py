"""Tools: Python functions with a JSON-schema'd input that agents call through the model loop.

A model (Bedrock, OpenAI-compatible) sees each tool's name, description and input JSON Schema and
asks for calls; the agent loop validates the arguments and runs the function. The offline model
cannot parse free text into arguments, so a tool may also supply an ``extract`` function that maps
a user message to arguments (or None). The offline model then issues the same tool call an LLM
would, through the same loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mastra.errors import ToolError

In = TypeVar("In", bound=BaseModel)


class ToolContext(BaseModel):
    """What a tool may know about the request that called it."""

    model_config = ConfigDict(frozen=True)

    request_id: str = "local"
    user_id: str = "anonymous"


class ToolOutput(BaseModel):
    """A tool's result: a sentence for people and the structured data behind it."""

    text: str
    data: dict[str, Any] = {}


@dataclass(frozen=True)
class Tool(Generic[In]):
    name: str
    description: str
    input_model: type[In]
    func: Callable[[In, ToolContext], ToolOutput]
    extract: Callable[[str], dict[str, Any] | None] | None = field(default=None, compare=False)

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the arguments, as model providers expect it."""
        schema = self.input_model.model_json_schema()
        schema.pop("title", None)
        return schema

    def invoke(self, arguments: dict[str, Any], context: ToolContext | None = None) -> ToolOutput:
        """Validate ``arguments`` and run the tool; bad arguments raise :class:`ToolError`."""
        try:
            parsed = self.input_model.model_validate(arguments)
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
            raise ToolError(f"{self.name}: invalid arguments: {reasons}") from None
        return self.func(parsed, context or ToolContext())


def tool(
    name: str,
    description: str,
    input_model: type[In],
    *,
    extract: Callable[[str], dict[str, Any] | None] | None = None,
) -> Callable[[Callable[[In, ToolContext], ToolOutput]], Tool[In]]:
    """Declare a tool from a function taking its validated input model and a context."""

    def wrap(func: Callable[[In, ToolContext], ToolOutput]) -> Tool[In]:
        return Tool(name, description, input_model, func, extract)

    return wrap
