"""Running agents: the model/tool loop and the compiled agent set."""

from mastra.agents.executor import AgentExecutor, AgentRun

__all__ = ["AgentExecutor", "AgentRun"]
