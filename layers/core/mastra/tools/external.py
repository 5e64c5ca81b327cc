"""Tools another system runs: HTTP APIs and Lambda functions, declared in the agent spec.

The model's arguments are validated against the tool's ``input_schema`` (JSON Schema, compiled
once with fastjsonschema) before anything is sent; the reply must be a JSON object. Throttling
and 5xx are retried with backoff within the tool's ``timeout_s``; every failure (bad arguments,
HTTP 4xx, a timeout, a function error, a reply in the wrong shape) becomes a
:class:`~mastra.errors.ToolError` that the agent loop hands back to the model, never a failed
request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from mastra.errors import MastraError, ProviderThrottledError, ToolError
from mastra.tools.base import ToolContext, ToolOutput

if TYPE_CHECKING:
    from mastra.spec.models import ExternalTool

Validator = Callable[[Any], Any]


@lru_cache(maxsize=256)
def _compiled(schema_json: str) -> Validator:
    import fastjsonschema

    validator: Validator = fastjsonschema.compile(json.loads(schema_json))
    return validator


def compile_schema(schema: dict[str, Any]) -> Validator:
    """A validator for ``schema``; ValueError if it is not a valid JSON Schema."""
    try:
        return _compiled(json.dumps(schema, sort_keys=True))
    # fastjsonschema raises its own error for most bad schemas, and plain Python errors for some
    # (e.g. a non-object `properties`): both mean the same to the spec author.
    except Exception as exc:
        raise ValueError(f"input_schema is not a valid JSON Schema: {exc}") from None


def validate_arguments(tool: ExternalTool, arguments: dict[str, Any]) -> None:
    import fastjsonschema

    try:
        compile_schema(tool.input_schema)(arguments)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise ToolError(f"{tool.name}: invalid arguments: {exc.message}") from None


def tool_output(tool_name: str, data: Any) -> ToolOutput:
    """A reply as a tool output: ``{"text", "data"?}`` as is, any other object as ``data``."""
    if not isinstance(data, dict):
        raise ToolError(f"{tool_name}: the reply is not a JSON object")
    if isinstance(data.get("text"), str):
        extra = data.get("data")
        return ToolOutput(text=data["text"], data=extra if isinstance(extra, dict) else {})
    return ToolOutput(text=json.dumps(data)[:2000], data=data)


class ExternalToolRunner:
    """Runs an agent's external tools (the ``external_tools`` of its spec)."""

    def __init__(
        self,
        *,
        secret: Callable[[str], SecretStr] | None = None,
        lambda_client: Callable[[float], Any] | None = None,
        retry: Any | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        from mastra.providers.resilience import RetryPolicy

        self.secret = secret
        self._lambda_client = lambda_client
        self._clients: dict[float, Any] = {}
        self._lock = threading.Lock()
        self.retry: RetryPolicy = retry or RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0)
        self.sleep = sleep

    def client_for(self, timeout_s: float) -> Any:
        with self._lock:
            client = self._clients.get(timeout_s)
            if client is None:
                if self._lambda_client is not None:
                    client = self._lambda_client(timeout_s)
                else:
                    from mastra.providers.transport import lambda_client

                    client = lambda_client(None, timeout_s)
                self._clients[timeout_s] = client
        return client

    def invoke(self, tool: ExternalTool, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        """Validate, call with retries, and check the reply; ToolError on any failure."""
        from mastra.providers.resilience import call_with_retries

        validate_arguments(tool, arguments)
        payload = {
            "tool": tool.name,
            "arguments": arguments,
            "request_id": context.request_id,
            "user_id": context.user_id,
        }
        kwargs: dict[str, Any] = {} if self.sleep is None else {"sleep": self.sleep}
        try:
            data = call_with_retries(
                lambda remaining: self._call(tool, payload, remaining),
                self.retry,
                budget_s=tool.timeout_s,
                retryable=lambda exc: isinstance(exc, ProviderThrottledError),
                **kwargs,
            )
        except ToolError:
            raise
        except MastraError as exc:
            attempts = exc.details.get("attempts", 1)
            raise ToolError(f"{exc.message} (after {attempts} attempt{'s' if attempts != 1 else ''})") from None
        except Exception as exc:  # a tool's failure is the model's to read, never a failed request
            raise ToolError(f"{tool.name}: failed ({type(exc).__name__}: {str(exc)[:200]})") from None
        return tool_output(tool.name, data)

    def _call(self, tool: ExternalTool, payload: dict[str, Any], remaining: float) -> Any:
        from mastra.providers.transport import invoke_lambda, post_json

        what = f"tool {tool.name}"
        if tool.function_name is not None:
            return invoke_lambda(
                lambda: self.client_for(tool.timeout_s), tool.function_name, payload, qualifier=None, what=what
            )
        assert tool.url is not None
        body = json.dumps(payload).encode()
        headers: dict[str, str] = {}
        if tool.signing_secret is not None:
            from mastra.security import signing

            if self.secret is None:
                raise ToolError(f"{tool.name}: no secret resolver to sign with")
            headers[signing.HEADER] = signing.sign(self.secret(tool.signing_secret).get_secret_value().encode(), body)
        data, _ = post_json(tool.url, body, headers=headers, timeout_s=remaining, what=what)
        return data
