"""Model providers: one interface (``base.ModelProvider``), one file per provider.

SDK-backed providers (Bedrock, OpenAI-compatible) are imported only when an agent uses them, so
offline deployments never pay for boto3's or openai's import.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from mastra.providers.base import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    ModelProvider,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)
from mastra.providers.fake import FakeProvider

if TYPE_CHECKING:
    from mastra.agents.agentset import AgentSet
    from mastra.spec.models import AgentSpec

__all__ = [
    "ChatMessage",
    "CompletionRequest",
    "CompletionResponse",
    "FakeProvider",
    "ModelProvider",
    "ProviderFactory",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Usage",
]


class ProviderFactory:
    """The provider instance for each agent, built on first use and reused.

    ``override`` runs every agent on one provider name (e.g. ``fake``); ``instances`` pins a
    provider object per provider name (tests inject fakes this way).
    """

    def __init__(
        self,
        agents: AgentSet,
        *,
        override: str | None = None,
        instances: dict[str, ModelProvider] | None = None,
    ) -> None:
        self.agents = agents
        self.override = override
        self.instances = dict(instances or {})
        self._by_agent: dict[str, ModelProvider] = {}
        self._lock = threading.Lock()

    def __call__(self, spec: AgentSpec) -> ModelProvider:
        provider = self._by_agent.get(spec.id)
        if provider is None:
            with self._lock:
                provider = self._by_agent.get(spec.id) or self._build(spec)
                self._by_agent[spec.id] = provider
        return provider

    def _build(self, spec: AgentSpec) -> ModelProvider:
        name = self.override or spec.model.provider
        if name in self.instances:
            return self.instances[name]
        if name == "retrieval":
            from mastra.providers.retrieval import RetrievalProvider

            return RetrievalProvider(self.agents.space, self.agents.knowledge[spec.id], spec.knowledge.no_answer)
        if name == "fake":
            return FakeProvider()
        if name == "bedrock":
            from mastra.providers.bedrock import BedrockProvider

            return BedrockProvider(region=spec.model.region)
        if name == "openai":
            from mastra.providers.openai import OpenAIProvider

            key = os.environ.get(spec.model.api_key_env or "OPENAI_API_KEY")
            return OpenAIProvider(base_url=spec.model.base_url, api_key=key)
        raise ValueError(f"unknown provider {name!r}")
