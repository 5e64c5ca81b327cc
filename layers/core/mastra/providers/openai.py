"""Any OpenAI-compatible chat completions endpoint: OpenAI itself, Ollama, vLLM, LM Studio...

The ``openai`` SDK is an optional extra (``pip install 'mastra[openai]'``) and this module is
imported only when an agent uses it, so the core layer does not ship it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

from pydantic import SecretStr

from mastra.errors import ProviderError, ProviderThrottledError, StepTimeoutError
from mastra.providers.base import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    SDKProvider,
    StopReason,
    ToolCall,
    Usage,
    with_critique,
)

#: Local servers (Ollama, vLLM) ignore the key, but the SDK refuses to start without one.
NO_API_KEY = "not-needed"
#: Client-wide timeout in seconds; each request passes its own, tighter, remaining budget.
DEFAULT_TIMEOUT_S = 60.0

_STOP_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "content_filtered",
}


def _sdk() -> ModuleType:
    """The ``openai`` package, or a ProviderError saying how to install it."""
    try:
        import openai
    except ImportError:
        raise ProviderError(
            "the openai provider needs the openai package: pip install 'mastra[openai]'",
            details={"provider": "openai"},
        ) from None
    return openai


class OpenAIProvider(SDKProvider):
    """Chat models behind an OpenAI-compatible ``/chat/completions`` endpoint.

    Parameters
    ----------
    base_url : str or None
        The API root, e.g. ``http://localhost:11434/v1`` for Ollama; None is OpenAI's
        (or ``OPENAI_BASE_URL``).
    api_key : str or None
        The API key; None sends ``"not-needed"``, which local servers accept.
    client : Any or None
        An ``openai.OpenAI`` client to use instead of building one on first use.
    max_retries : int
        Retries of the SDK on connection errors, 408/409/429 and 5xx, with backoff.
    timeout_s : float
        Client-wide timeout; each call also gets the request's own ``timeout_s``.
    key_source : callable or None
        Returns the API key on each call (a :class:`~mastra.providers.secrets.SecretResolver`
        lookup, cached by Powertools); overrides ``api_key``.

    Raises
    ------
    ProviderThrottledError
        HTTP 429 or 5xx, or the endpoint could not be reached, after the retries.
    StepTimeoutError
        The endpoint did not answer within the request's ``timeout_s``.
    ProviderError
        Any other failure (HTTP 400/401/404..., an unparseable reply), or ``openai`` not installed.

    Examples
    --------
    >>> provider = OpenAIProvider(base_url="http://localhost:11434/v1")  # doctest: +SKIP
    >>> hello = CompletionRequest(messages=[ChatMessage(role="user", content="Hi")])
    >>> provider.complete(hello).message.content  # doctest: +SKIP
    """

    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        client: Any | None = None,
        *,
        max_retries: int = 2,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        key_source: Callable[[], SecretStr | None] | None = None,
    ) -> None:
        super().__init__(client)
        self._injected = client is not None
        self.base_url = base_url
        self.api_key = api_key or NO_API_KEY
        self.key_source = key_source
        self.max_retries = max_retries
        self.timeout_s = timeout_s

    def build_client(self) -> Any:
        """The ``openai.OpenAI`` client."""
        return _sdk().OpenAI(
            base_url=self.base_url, api_key=self.api_key, max_retries=self.max_retries, timeout=self.timeout_s
        )

    def _refresh_key(self) -> None:
        """Take the key from ``key_source`` (cached by Powertools); a rotated key rebuilds the client."""
        secret = self.key_source() if self.key_source is not None else None
        key = secret.get_secret_value() if secret is not None else NO_API_KEY
        if key != self.api_key:
            with self._client_lock:
                self.api_key = key
                if not self._injected:
                    self._client = None

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        sdk = _sdk()
        if self.key_source is not None:
            self._refresh_key()
        params = self.chat_params(request)
        try:
            response = self.client.chat.completions.create(**params)
        # APITimeoutError is a kind of APIConnectionError: it must be matched first.
        except sdk.APITimeoutError as exc:
            raise StepTimeoutError(
                f"openai: no answer within {request.timeout_s:g} s", details={"provider": self.name}
            ) from exc
        except sdk.RateLimitError as exc:
            raise ProviderThrottledError(self._scrub(_status_message(exc)), details=_status_details(exc)) from exc
        except sdk.APIStatusError as exc:
            error_type = ProviderThrottledError if exc.status_code >= 500 else ProviderError
            raise error_type(self._scrub(_status_message(exc)), details=_status_details(exc)) from exc
        except sdk.APIConnectionError as exc:
            raise ProviderThrottledError(
                f"openai: cannot reach the endpoint: {exc}", details={"provider": self.name}
            ) from exc
        except sdk.OpenAIError as exc:
            raise ProviderError(f"openai: {exc}", details={"provider": self.name}) from exc
        return parse_response(response, request.settings.model_id)

    def _scrub(self, text: str) -> str:
        """``text`` without the API key: some servers echo the key they refused in the error body."""
        if self.api_key and self.api_key != NO_API_KEY and len(self.api_key) >= 8:
            text = text.replace(self.api_key, "**********")
        return text

    @staticmethod
    def chat_params(request: CompletionRequest) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for ``request``."""
        params: dict[str, Any] = {
            "model": request.settings.model_id,
            "messages": chat_messages(with_critique(request.system, request.critique), request.messages),
            "temperature": request.settings.temperature,
            # max_tokens, not max_completion_tokens: Ollama and vLLM read only this one.
            "max_tokens": request.settings.max_tokens,
            "timeout": request.timeout_s,
        }
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.input_schema,
                    },
                }
                for tool in request.tools
            ]
        return params


def chat_messages(system: str | None, messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Our messages in the chat completions shape; each tool result is a ``tool`` message of its own.

    >>> chat_messages("Be brief.", [ChatMessage(role="user", content="Hi")])
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    """
    out: list[dict[str, Any]] = []
    if system:
        out.append({"role": "system", "content": system})
    for message in messages:
        if message.role == "tool":
            out.extend(
                {"role": "tool", "tool_call_id": result.tool_call_id, "content": json.dumps(result.content)}
                for result in message.tool_results
            )
        elif message.role == "assistant" and message.tool_calls:
            out.append(
                {
                    "role": "assistant",
                    # None, not "": some servers refuse an empty string next to tool calls.
                    "content": message.content or None,
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                        }
                        for call in message.tool_calls
                    ],
                }
            )
        else:
            out.append({"role": message.role, "content": message.content})
    return out


def parse_response(response: Any, model_id: str) -> CompletionResponse:
    """A ``ChatCompletion`` as our response; the model id falls back to the requested one."""
    if not response.choices:
        raise ProviderError("openai: the reply has no choices", details={"provider": "openai"})
    choice = response.choices[0]
    calls = [_tool_call(call) for call in choice.message.tool_calls or []]
    # Some servers (older Ollama) say "stop" even when the reply is tool calls.
    stop_reason: StopReason = "tool_use" if calls else _STOP_REASONS.get(choice.finish_reason or "", "end_turn")
    usage = response.usage
    return CompletionResponse(
        message=ChatMessage(role="assistant", content=choice.message.content or "", tool_calls=calls),
        stop_reason=stop_reason,
        usage=Usage(
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
        ),
        model_id=response.model or model_id,
    )


def _tool_call(call: Any) -> ToolCall:
    function = getattr(call, "function", None)
    if function is None:
        raise ProviderError(
            f"openai: unsupported tool call type {getattr(call, 'type', None)!r}",
            details={"provider": "openai"},
        )
    raw = function.arguments or "{}"  # servers send "" for tools without arguments
    try:
        arguments = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProviderError(
            f"openai: tool call {function.name!r} has invalid JSON arguments: {exc}",
            details={"provider": "openai", "arguments": raw[:500]},
        ) from exc
    if not isinstance(arguments, dict):
        raise ProviderError(
            f"openai: tool call {function.name!r} arguments are not a JSON object",
            details={"provider": "openai", "arguments": raw[:500]},
        )
    return ToolCall(id=call.id, name=function.name, arguments=arguments)


def _status_message(exc: Any) -> str:
    """``HTTP <status>: <the server's own message>``, without the SDK's "Error code" prefix."""
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        text = body["message"]
    elif isinstance(body, str) and body.strip():
        text = body.strip()[:500]
    else:
        text = str(exc.message)
    return f"openai: HTTP {exc.status_code}: {text}"


def _status_details(exc: Any) -> dict[str, Any]:
    return {"provider": "openai", "status": exc.status_code}
