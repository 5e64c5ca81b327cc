"""Model providers: one interface (``base.ModelProvider``), one file per provider.

SDK-backed providers (Bedrock, OpenAI-compatible) are imported only when an agent uses them, so
offline deployments never pay for boto3's or openai's import.
"""

from __future__ import annotations

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
    from mastra.providers.secrets import SecretResolver
    from mastra.spec.models import AgentSpec, ModelTarget

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


#: Providers that reach another system: their calls are retried with backoff on throttling.
REMOTE = frozenset({"bedrock", "openai", "sagemaker", "lambda", "http"})


class ProviderFactory:
    """The provider instance for each agent, built on first use and reused.

    ``override`` runs every agent on one provider name (e.g. ``fake``); ``instances`` pins a
    provider object per provider name (tests inject fakes this way). An agent with
    ``model.fallbacks`` or of kind lambda/http gets a :class:`FallbackProvider` over its chain,
    ending in its offline answer; remote providers are wrapped in retries with backoff.
    Secrets (API keys, signing secrets) are read through ``secrets``
    (:class:`~mastra.providers.secrets.SecretResolver`, Powertools Parameters).
    """

    def __init__(
        self,
        agents: AgentSet,
        *,
        override: str | None = None,
        instances: dict[str, ModelProvider] | None = None,
        secrets: SecretResolver | None = None,
    ) -> None:
        self.agents = agents
        self.override = override
        self.instances = dict(instances or {})
        self._secrets = secrets
        self._by_agent: dict[str, ModelProvider] = {}
        self._lock = threading.Lock()

    @property
    def secrets(self) -> SecretResolver:
        if self._secrets is None:
            from mastra.providers.secrets import SecretResolver

            self._secrets = SecretResolver()
        return self._secrets

    def __call__(self, spec: AgentSpec) -> ModelProvider:
        provider = self._by_agent.get(spec.id)
        if provider is None:
            with self._lock:
                provider = self._by_agent.get(spec.id) or self._build(spec)
                self._by_agent[spec.id] = provider
        return provider

    def _build(self, spec: AgentSpec) -> ModelProvider:
        if self.override:
            return self._single(self.override, spec.model, spec)
        head = self._head(spec)
        if not spec.model.fallbacks and spec.kind == "model":
            return head
        from mastra.providers.resilience import ChainLink, FallbackProvider

        chain = [ChainLink(head, spec.model)]
        chain += [ChainLink(self._single(t.provider, t, spec), t) for t in spec.model.fallbacks]
        return FallbackProvider(chain, self.offline(spec) if spec.model.offline_fallback else None)

    def offline(self, spec: AgentSpec) -> ModelProvider:
        """The agent's offline answer: its knowledge base, or its no_answer text."""
        if spec.knowledge.passages or spec.tools:
            return self._single("retrieval", spec.model, spec)
        from mastra.providers.resilience import NoAnswerProvider

        return NoAnswerProvider(spec.knowledge.no_answer)

    def _head(self, spec: AgentSpec) -> ModelProvider:
        if spec.kind == "model":
            return self._single(spec.model.provider, spec.model, spec)
        if spec.kind in self.instances:
            return self.instances[spec.kind]
        from mastra.providers.remote import HttpAgentProvider, LambdaAgentProvider

        provider: ModelProvider
        if spec.kind == "lambda":
            assert spec.function is not None
            provider = LambdaAgentProvider(
                spec.function.function_name,
                qualifier=spec.function.qualifier,
                region=spec.model.region,
                timeout_s=spec.timeout_s,
            )
        else:
            assert spec.webhook is not None
            secret_ref = spec.webhook.signing_secret
            provider = HttpAgentProvider(spec.webhook.url, lambda: self.secrets.resolve(secret_ref))
        return self._retrying(provider, spec)

    def _single(self, name: str, target: ModelTarget, spec: AgentSpec) -> ModelProvider:
        if name in self.instances:
            return self.instances[name]
        if name == "retrieval":
            from mastra.providers.retrieval import RetrievalProvider

            return RetrievalProvider(self.agents.space, self.agents.knowledge[spec.id], spec.knowledge.no_answer)
        if name == "fake":
            return FakeProvider()
        provider: ModelProvider
        if name == "bedrock":
            from mastra.providers.bedrock import BedrockProvider

            provider = BedrockProvider(region=target.region)
        elif name == "openai":
            from mastra.providers.openai import OpenAIProvider
            from mastra.providers.secrets import api_key

            secret_ref, env_name = target.api_key_secret, target.api_key_env
            # Read on every call (Powertools caches it for max_age): a rotated key is picked up.
            provider = OpenAIProvider(
                base_url=target.base_url, key_source=lambda: api_key(secret_ref, env_name, self.secrets), max_retries=0
            )
        elif name == "sagemaker":
            from mastra.providers.sagemaker import SageMakerProvider

            provider = SageMakerProvider(region=target.region, payload_format=target.payload_format)
        else:
            raise ValueError(f"unknown provider {name!r}")
        return self._retrying(provider, spec)

    @staticmethod
    def _retrying(provider: ModelProvider, spec: AgentSpec) -> ModelProvider:
        from mastra.providers.resilience import RetryingProvider, RetryPolicy

        return RetryingProvider(provider, RetryPolicy.from_settings(spec.model.retry))
