"""A model on a SageMaker real-time endpoint, called through ``sagemaker-runtime`` ``invoke_endpoint``.

Endpoints take whatever JSON their container reads, so the payload format is configurable
(``ModelSettings.payload_format``):

- ``messages`` - the OpenAI-style chat shape (``{"messages": [...], "max_tokens", "temperature",
  "tools"?}`` -> ``{"choices": [{"message": ..., "finish_reason"}], "usage"}``) that Hugging Face
  TGI's Messages API, DJL/LMI and vLLM containers serve; tool calls round-trip.
- ``tgi`` - TGI's text generation (``{"inputs": prompt, "parameters": {...}}`` ->
  ``[{"generated_text": ...}]``): no tool use, the conversation is written out as a transcript.
"""

from __future__ import annotations

import json
from typing import Any, Literal

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
from mastra.providers.openai import chat_messages

CONNECT_TIMEOUT_S = 5.0
#: invoke_endpoint itself gives up after 60 s.
READ_TIMEOUT_S = 60.0
THROTTLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalFailure",
        "ModelNotReadyException",
        "InternalDependencyException",
    }
)
_STOP_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "eos_token": "end_turn",
    "tool_calls": "tool_use",
    "length": "max_tokens",
    "content_filter": "content_filtered",
}

PayloadFormat = Literal["messages", "tgi"]


class SageMakerProvider(BotoRuntimeProvider):
    """A SageMaker endpoint (the agent's ``model_id`` is the endpoint name).

    Parameters
    ----------
    region : str or None
        The endpoint's region; None uses the environment's.
    payload_format : {"messages", "tgi"}
        The JSON shape the endpoint's container reads (see the module docstring).
    client : Any or None
        A ``sagemaker-runtime`` client (tests pass one wrapped in a botocore ``Stubber``).

    Raises
    ------
    ProviderThrottledError
        Throttling, the endpoint briefly unavailable, or the container answered 429/5xx.
    StepTimeoutError
        No reply within the request's ``timeout_s``.
    ProviderError
        Anything else: validation errors, an unknown endpoint, a reply in another shape.
    """

    name = "sagemaker"
    service = "sagemaker-runtime"
    connect_timeout_s = CONNECT_TIMEOUT_S
    read_timeout_s = READ_TIMEOUT_S

    def __init__(
        self, region: str | None = None, client: Any | None = None, *, payload_format: PayloadFormat = "messages"
    ) -> None:
        # Retries are Mastra's (RetryingProvider: backoff within the agent's budget), not botocore's.
        super().__init__(region, client, max_attempts=1)
        self.payload_format = payload_format

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        body = self.payload(request)
        try:
            reply = self.client_for(request.timeout_s).invoke_endpoint(
                EndpointName=request.settings.model_id,
                ContentType="application/json",
                Accept="application/json",
                Body=json.dumps(body).encode(),
            )
            raw = reply["Body"].read()
        except ClientError as exc:
            raise _translate(exc) from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise StepTimeoutError(f"sagemaker: {exc}", details={"provider": self.name}) from exc
        except BotoConnectionError as exc:  # endpoint unreachable, connection dropped: transient
            raise ProviderThrottledError(f"sagemaker: {exc}", details={"provider": self.name}) from exc
        except BotoCoreError as exc:
            raise ProviderError(f"sagemaker: {exc}", details={"provider": self.name}) from exc
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProviderError(
                "sagemaker: the endpoint's reply is not JSON",
                details={"provider": self.name, "body": raw[:200].decode(errors="replace")},
            ) from exc
        if self.payload_format == "tgi":
            return parse_tgi(data, request.settings.model_id)
        return parse_messages(data, request.settings.model_id)

    def payload(self, request: CompletionRequest) -> dict[str, Any]:
        """The JSON body for ``request`` in this endpoint's format."""
        system = with_critique(request.system, request.critique)
        if self.payload_format == "tgi":
            return {
                "inputs": transcript(system, request.messages),
                "parameters": {
                    "max_new_tokens": request.settings.max_tokens,
                    # TGI refuses temperature 0; a tiny one is greedy in effect.
                    "temperature": max(request.settings.temperature, 0.01),
                    "return_full_text": False,
                },
            }
        body: dict[str, Any] = {
            "messages": chat_messages(system, request.messages),
            "max_tokens": request.settings.max_tokens,
            "temperature": request.settings.temperature,
        }
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.input_schema},
                }
                for t in request.tools
            ]
        return body


def transcript(system: str | None, messages: list[ChatMessage]) -> str:
    """A conversation as plain text ending with the assistant's turn, for text-generation endpoints."""
    lines = [f"System: {system}"] if system else []
    for m in messages:
        if m.role == "tool":
            lines.extend(f"Tool {r.name}: {json.dumps(r.content)}" for r in m.tool_results)
        elif m.content:
            lines.append(f"{m.role.capitalize()}: {m.content}")
    lines.append("Assistant:")
    return "\n".join(lines)


def _bad_shape(what: str) -> ProviderError:
    return ProviderError(f"sagemaker: the endpoint's reply {what}", details={"provider": "sagemaker"})


def parse_messages(data: Any, model_id: str) -> CompletionResponse:
    """An OpenAI-style chat completion (as JSON) as our response."""
    if not isinstance(data, dict) or not data.get("choices"):
        raise _bad_shape("has no choices (is payload_format right?)")
    choice = data["choices"][0]
    message = choice.get("message") or {}
    calls: list[ToolCall] = []
    for raw in message.get("tool_calls") or []:
        function = raw.get("function") or {}
        arguments = function.get("arguments") or "{}"
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        except json.JSONDecodeError:
            raise _bad_shape(f"has invalid JSON arguments for tool {function.get('name')!r}") from None
        if not isinstance(parsed, dict):
            raise _bad_shape(f"has non-object arguments for tool {function.get('name')!r}")
        calls.append(
            ToolCall(id=str(raw.get("id") or f"call_{len(calls)}"), name=function.get("name", ""), arguments=parsed)
        )
    usage = data.get("usage") or {}
    stop: StopReason = "tool_use" if calls else _STOP_REASONS.get(choice.get("finish_reason") or "", "end_turn")
    return CompletionResponse(
        message=ChatMessage(role="assistant", content=message.get("content") or "", tool_calls=calls),
        stop_reason=stop,
        usage=Usage(input_tokens=usage.get("prompt_tokens", 0), output_tokens=usage.get("completion_tokens", 0)),
        model_id=model_id,
    )


def parse_tgi(data: Any, model_id: str) -> CompletionResponse:
    """TGI's ``[{"generated_text": ...}]`` (or the bare object) as our response."""
    item = data[0] if isinstance(data, list) and data else data
    if not isinstance(item, dict) or not isinstance(item.get("generated_text"), str):
        raise _bad_shape("has no generated_text (is payload_format right?)")
    details = item.get("details") or {}
    stop: StopReason = _STOP_REASONS.get(details.get("finish_reason") or "", "end_turn")
    return CompletionResponse(
        message=ChatMessage(role="assistant", content=item["generated_text"].strip()),
        stop_reason=stop,
        usage=Usage(output_tokens=int(details.get("generated_tokens") or 0)),
        model_id=model_id,
    )


def _translate(exc: ClientError) -> ProviderError | StepTimeoutError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    text = str(error.get("Message") or "").strip()[:300]
    status = exc.response.get("OriginalStatusCode")
    details: dict[str, Any] = {"provider": "sagemaker", "code": code}
    if status is not None:
        details["status"] = status
    message = f"sagemaker {code}: {text}" if text else f"sagemaker {code}"
    # ModelError: the container itself answered an error; its own 429/5xx is worth a retry.
    if code in THROTTLE_CODES or (
        code == "ModelError" and isinstance(status, int) and (status == 429 or status >= 500)
    ):
        return ProviderThrottledError(message, details=details)
    if "timed out" in text.lower() or code == "ModelTimeoutException":
        return StepTimeoutError(message, details=details)
    return ProviderError(message, details=details)
