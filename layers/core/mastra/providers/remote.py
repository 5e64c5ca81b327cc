"""Agents that answer elsewhere: a Lambda function (``kind: lambda``) or a webhook (``kind: http``).

Both speak the ``mastra.agent/v1`` contract (:class:`AgentCallRequest` in, :class:`AgentCallReply`
out) and sit behind the provider interface, so retries, the fallback chain and the trace work as
for any model. A webhook's request body is signed: ``Mastra-Signature: t=<unix>,v1=<hex
HMAC-SHA256(secret, "<t>.<body>")>`` (:mod:`mastra.security.signing`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from mastra.errors import ProviderError
from mastra.providers.base import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    ModelProvider,
    Usage,
    with_critique,
)
from mastra.providers.transport import invoke_lambda, lambda_client, post_json
from mastra.security import signing

CONTRACT: Literal["mastra.agent/v1"] = "mastra.agent/v1"


class AgentCallRequest(BaseModel):
    """What a Lambda or HTTP agent receives."""

    version: Literal["mastra.agent/v1"] = CONTRACT
    agent_id: str
    request_id: str
    user_id: str
    message: str = Field(description="The user's message (the last user turn).")
    messages: list[ChatMessage] = Field(description="The conversation so far, the message last.")
    system: str | None = Field(None, description="The agent's rendered system prompt (and a repair's critique).")
    max_tokens: int
    timeout_s: float = Field(description="Seconds the caller waits for the reply.")


class AgentCallReply(BaseModel):
    """What a Lambda or HTTP agent must return (unknown keys are ignored)."""

    model_config = ConfigDict(extra="ignore")

    answer: str = Field(description="The reply to the user.")
    sources: list[str] = Field(default_factory=list, description="Ids of what the answer came from.")
    model_id: str | None = None
    stop_reason: Literal["end_turn", "max_tokens", "content_filtered", "no_match"] = "end_turn"
    usage: Usage = Field(default_factory=Usage)


def call_request(request: CompletionRequest, timeout_s: float) -> AgentCallRequest:
    context = request.context
    message = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    return AgentCallRequest(
        agent_id=context.get("agent_id", ""),
        request_id=context.get("request_id", ""),
        user_id=context.get("user_id", ""),
        message=message,
        messages=request.messages,
        system=with_critique(request.system, request.critique),
        max_tokens=request.settings.max_tokens,
        timeout_s=round(timeout_s, 3),
    )


def parse_reply(data: Any, what: str, model_id: str) -> CompletionResponse:
    if isinstance(data, dict) and "error" in data and "answer" not in data:
        raise ProviderError(f"{what}: the agent reported an error: {str(data['error'])[:200]}")
    try:
        reply = AgentCallReply.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:3])
        raise ProviderError(f"{what}: the reply breaks the {CONTRACT} contract: {reasons}") from None
    return CompletionResponse(
        message=ChatMessage(role="assistant", content=reply.answer),
        stop_reason=reply.stop_reason,
        usage=reply.usage,
        model_id=reply.model_id or model_id,
        sources=reply.sources,
    )


class LambdaAgentProvider(ModelProvider):
    """Invokes ``function_name`` (RequestResponse) with the contract's request."""

    name = "lambda"

    def __init__(
        self,
        function_name: str,
        *,
        qualifier: str | None = None,
        region: str | None = None,
        timeout_s: float = 30.0,
        client: Any | None = None,
    ) -> None:
        self.function_name = function_name
        self.qualifier = qualifier
        self.region = region
        self.timeout_s = timeout_s
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = lambda_client(self.region, self.timeout_s)
        return self._client

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        what = f"lambda agent {self.function_name}"
        payload = call_request(request, request.timeout_s).model_dump(mode="json")
        data = invoke_lambda(lambda: self.client, self.function_name, payload, qualifier=self.qualifier, what=what)
        return parse_reply(data, what, self.function_name)


class HttpAgentProvider(ModelProvider):
    """POSTs the contract's request to ``url``, signed with the secret ``secret()`` returns."""

    name = "http"

    def __init__(self, url: str, secret: Callable[[], SecretStr]) -> None:
        self.url = url
        self.secret = secret

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        what = f"http agent {self.url}"
        body = json.dumps(call_request(request, request.timeout_s).model_dump(mode="json")).encode()
        headers = {
            signing.HEADER: signing.sign(self.secret().get_secret_value().encode(), body),
            "Mastra-Request-Id": request.context.get("request_id", ""),
        }
        data, _ = post_json(self.url, body, headers=headers, timeout_s=request.timeout_s, what=what)
        return parse_reply(data, what, "webhook")
