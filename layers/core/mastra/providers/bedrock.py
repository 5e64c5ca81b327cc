"""Amazon Bedrock through the Converse API: one request shape for every Bedrock chat model.

boto3 is imported here, and this module is imported only when an agent uses Bedrock (see
``ProviderFactory``), so offline deployments never pay for it.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotoConnectionError

from mastra.errors import ProviderError, ProviderThrottledError, StepTimeoutError
from mastra.providers.base import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    StopReason,
    ToolCall,
    Usage,
    with_critique,
)
from mastra.providers.boto_runtime import BotoRuntimeProvider

#: Seconds to open a connection; Bedrock endpoints answer this fast or not at all.
CONNECT_TIMEOUT_S = 5.0
#: Longest wait for a reply. A whole non-streamed completion arrives at once, so this bounds the
#: generation time, not a gap between tokens. Each call waits at most the agent's remaining budget.
READ_TIMEOUT_S = 120.0

#: Bedrock error codes a later attempt can succeed on.
THROTTLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "InternalServerException",
    }
)
TIMEOUT_CODES = frozenset({"ModelTimeoutException"})

_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "stop_sequence": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "guardrail_intervened": "content_filtered",
    "content_filtered": "content_filtered",
}


class BedrockProvider(BotoRuntimeProvider):
    """Chat models on Amazon Bedrock, called through ``bedrock-runtime`` ``converse``.

    Parameters
    ----------
    region : str or None
        AWS region of the Bedrock endpoint; None uses the environment's (``AWS_REGION`` etc.).
    client : Any or None
        A ``bedrock-runtime`` client to use (tests pass one wrapped in a botocore ``Stubber``).
        Without one, a client is built on first use, never at import time.
    max_attempts : int
        Attempts per call, the first included, in botocore's standard retry mode. The default is
        one: ``ProviderFactory`` wraps the provider in a ``RetryingProvider`` (backoff with jitter,
        never past the agent's time budget), and botocore's retries as well would multiply the
        attempts without knowing the budget.

    Raises
    ------
    ProviderThrottledError
        Bedrock throttled or was briefly unavailable after the retries.
    StepTimeoutError
        The model or the connection timed out.
    ProviderError
        Any other failure: invalid request, no model access, unknown model id...

    Examples
    --------
    >>> provider = BedrockProvider(region="us-east-1")  # doctest: +SKIP
    >>> hello = CompletionRequest(messages=[ChatMessage(role="user", content="Hi")])
    >>> provider.complete(hello).message.content  # doctest: +SKIP
    """

    name = "bedrock"
    service = "bedrock-runtime"
    connect_timeout_s = CONNECT_TIMEOUT_S
    read_timeout_s = READ_TIMEOUT_S

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        params = self.converse_params(request)
        try:
            response = self.client_for(request.timeout_s).converse(**params)
        except ClientError as exc:
            raise _translate_client_error(exc) from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise StepTimeoutError(f"bedrock: {exc}", details={"provider": self.name}) from exc
        except BotoConnectionError as exc:  # endpoint unreachable, connection dropped: transient
            raise ProviderThrottledError(f"bedrock: {exc}", details={"provider": self.name}) from exc
        except BotoCoreError as exc:
            raise ProviderError(f"bedrock: {exc}", details={"provider": self.name}) from exc
        return _parse_response(response, request.settings.model_id)

    @staticmethod
    def converse_params(request: CompletionRequest) -> dict[str, Any]:
        """The keyword arguments of ``converse`` for ``request``."""
        with_tools = bool(request.tools)
        params: dict[str, Any] = {
            "modelId": request.settings.model_id,
            "messages": converse_messages(request.messages, with_tools=with_tools),
            "inferenceConfig": {
                "maxTokens": request.settings.max_tokens,
                "temperature": request.settings.temperature,
            },
        }
        system = with_critique(request.system, request.critique)
        if system:
            params["system"] = [{"text": system}]
        if with_tools:
            params["toolConfig"] = {
                "tools": [
                    {
                        "toolSpec": {
                            "name": tool.name,
                            "description": tool.description,
                            "inputSchema": {"json": tool.input_schema},
                        }
                    }
                    for tool in request.tools
                ]
            }
        return params


def converse_messages(messages: list[ChatMessage], *, with_tools: bool = True) -> list[dict[str, Any]]:
    """Our messages as Converse messages: tool results go in user turns, same-role turns merged.

    Converse refuses two consecutive turns of one role, and refuses ``toolUse``/``toolResult``
    blocks when the request offers no tools (the agent loop's last round): there they are written
    out as text instead, so the model still sees what the tools said.

    >>> converse_messages([ChatMessage(role="user", content="a"), ChatMessage(role="user", content="b")])
    [{'role': 'user', 'content': [{'text': 'a'}, {'text': 'b'}]}]
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _content_blocks(message, with_tools=with_tools)
        if not blocks:  # Converse refuses empty turns and blank text blocks.
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    # Converse requires the conversation to open with a user turn; a history window may start
    # with an assistant reply.
    while out and out[0]["role"] != "user":
        out.pop(0)
    return out


def _content_blocks(message: ChatMessage, *, with_tools: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if message.content.strip():
        blocks.append({"text": message.content})
    for call in message.tool_calls:
        if with_tools:
            blocks.append({"toolUse": {"toolUseId": call.id, "name": call.name, "input": call.arguments}})
        else:
            blocks.append({"text": f"[called tool {call.name} with {json.dumps(call.arguments)}]"})
    for result in message.tool_results:
        if with_tools:
            blocks.append(
                {
                    "toolResult": {
                        "toolUseId": result.tool_call_id,
                        "content": [{"json": result.content}],
                        "status": "error" if result.is_error else "success",
                    }
                }
            )
        else:
            outcome = "error" if result.is_error else "result"
            blocks.append({"text": f"[{outcome} of tool {result.name}: {json.dumps(result.content)}]"})
    return blocks


def _parse_response(response: dict[str, Any], model_id: str) -> CompletionResponse:
    content = response.get("output", {}).get("message", {}).get("content", [])
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in content:
        if "text" in block:
            texts.append(block["text"])
        elif "toolUse" in block:
            use = block["toolUse"]
            calls.append(ToolCall(id=use["toolUseId"], name=use["name"], arguments=use.get("input") or {}))
        # Other blocks (reasoningContent, citations...) are not part of the answer.
    usage = response.get("usage", {})
    return CompletionResponse(
        message=ChatMessage(role="assistant", content="".join(texts), tool_calls=calls),
        stop_reason=_STOP_REASONS.get(response.get("stopReason", ""), "end_turn"),
        usage=Usage(input_tokens=usage.get("inputTokens", 0), output_tokens=usage.get("outputTokens", 0)),
        model_id=model_id,
    )


def _translate_client_error(exc: ClientError) -> ProviderError | StepTimeoutError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    text = str(error.get("Message") or "").strip()
    message = f"bedrock {code}: {text}" if text else f"bedrock {code}"
    details = {"provider": "bedrock", "code": code}
    if code in THROTTLE_CODES:
        return ProviderThrottledError(message, details=details)
    if code in TIMEOUT_CODES:
        return StepTimeoutError(message, details=details)
    return ProviderError(message, details=details)
