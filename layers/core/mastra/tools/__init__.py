"""Built-in tools, by name. Agents list the ones they may call in their spec's ``tools``."""

from mastra.tools.base import Tool, ToolContext, ToolOutput, tool
from mastra.tools.calculator import calculator
from mastra.tools.chance import chance
from mastra.tools.clock import clock
from mastra.tools.units import unit_converter

TOOLS: dict[str, Tool] = {t.name: t for t in (calculator, unit_converter, clock, chance)}  # type: ignore[type-arg]

__all__ = ["TOOLS", "Tool", "ToolContext", "ToolOutput", "tool"]
