"""Tools that call HTTP APIs (loopback) or Lambda functions (Stubber), declared in the agent spec."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from pydantic import SecretStr
from tests.loopback import JsonServer, json_server

from mastra.agents.executor import AgentExecutor
from mastra.errors import SpecError, ToolError
from mastra.providers.base import ChatMessage, CompletionRequest, CompletionResponse, ModelProvider, ToolCall
from mastra.providers.resilience import RetryPolicy
from mastra.security import signing
from mastra.spec.models import AgentSpec
from mastra.tools import ToolContext
from mastra.tools.external import ExternalToolRunner

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "minLength": 1}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
    "required": ["city"],
    "additionalProperties": False,
}


class CallsTool(ModelProvider):
    """Asks for one tool call, then answers with what the tool said (or its error)."""

    name = "scripted"

    def __init__(self, tool: str, arguments: dict[str, Any]) -> None:
        self.tool, self.arguments = tool, arguments
        self.offered: list[list[str]] = []

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        self.offered.append([t.name for t in request.tools])
        last = request.messages[-1]
        if last.role == "tool":
            result = last.tool_results[0]
            text = f"error: {result.content['error']}" if result.is_error else str(result.content["text"])
            return CompletionResponse(message=ChatMessage(role="assistant", content=text))
        call = ToolCall(id="t1", name=self.tool, arguments=self.arguments)
        return CompletionResponse(message=ChatMessage(role="assistant", tool_calls=[call]), stop_reason="tool_use")


def spec_with(tool: dict[str, Any]) -> AgentSpec:
    return AgentSpec.model_validate(
        {
            "id": "weather",
            "name": "Weather",
            "description": "forecasts",
            "model": {"provider": "fake"},
            "external_tools": [tool],
        }
    )


def no_sleep(_: float) -> None:
    pass


def run(spec: AgentSpec, provider: ModelProvider, runner: ExternalToolRunner) -> Any:
    return AgentExecutor(lambda _: provider, external_tools=runner).run(
        spec, message="weather in Oslo?", history=[], user_id="alice", request_id="req-7"
    )


@pytest.fixture
def api() -> Iterator[JsonServer]:
    with json_server("/forecast") as server:
        yield server


def http_tool(url: str, **extra: Any) -> dict[str, Any]:
    return {"name": "forecast", "description": "Weather forecast", "input_schema": WEATHER_SCHEMA, "url": url, **extra}


def test_http_tool_is_offered_called_and_its_reply_used(api: JsonServer) -> None:
    api.reply({"text": "Oslo: 4 °C, rain.", "data": {"temp_c": 4}})
    provider = CallsTool("forecast", {"city": "Oslo", "days": 1})
    result = run(spec_with(http_tool(api.url)), provider, ExternalToolRunner(sleep=no_sleep))
    assert result.answer == "Oslo: 4 °C, rain."
    assert provider.offered[0] == ["forecast"]
    assert api.requests == [
        {"tool": "forecast", "arguments": {"city": "Oslo", "days": 1}, "request_id": "req-7", "user_id": "alice"}
    ]
    assert result.tool_calls[0]["result"] == {"text": "Oslo: 4 °C, rain.", "data": {"temp_c": 4}}


def test_invalid_arguments_are_a_tool_error_and_nothing_is_sent(api: JsonServer) -> None:
    provider = CallsTool("forecast", {"city": "Oslo", "days": 30})
    result = run(spec_with(http_tool(api.url)), provider, ExternalToolRunner(sleep=no_sleep))
    assert result.answer.startswith("error: forecast: invalid arguments") and "days" in result.answer
    assert result.tool_calls[0]["is_error"] and api.bodies == []


def test_server_errors_are_retried_then_become_a_tool_error(api: JsonServer) -> None:
    for _ in range(3):
        api.reply({"error": "down"}, status=502)
    sleeps: list[float] = []
    runner = ExternalToolRunner(sleep=sleeps.append, retry=RetryPolicy(3, 0.05, 0.2))
    result = run(spec_with(http_tool(api.url)), CallsTool("forecast", {"city": "Oslo"}), runner)
    assert len(api.bodies) == 3 and len(sleeps) == 2
    assert "HTTP 502" in result.answer and "after 3 attempts" in result.answer
    assert result.tool_calls[0]["is_error"]


@pytest.mark.parametrize(
    ("status", "body"), [(404, {"error": "no such city"}), (200, ["not", "an", "object"]), (200, b"<html>")]
)
def test_client_errors_and_bad_replies_are_tool_errors_without_retry(api: JsonServer, status: int, body: Any) -> None:
    api.reply(body, status=status)
    runner = ExternalToolRunner(sleep=no_sleep)
    tool = spec_with(http_tool(api.url)).external_tools[0]
    with pytest.raises(ToolError):
        runner.invoke(tool, {"city": "Oslo"}, ToolContext())
    assert len(api.bodies) == 1


def test_a_plain_json_object_reply_becomes_data(api: JsonServer) -> None:
    api.reply({"temp_c": 4})
    tool = spec_with(http_tool(api.url)).external_tools[0]
    out = ExternalToolRunner(sleep=no_sleep).invoke(tool, {"city": "Oslo"}, ToolContext())
    assert out.data == {"temp_c": 4} and json.loads(out.text) == {"temp_c": 4}


def test_slow_tool_times_out_as_a_tool_error(api: JsonServer) -> None:
    api.reply({"text": "late"}, delay_s=2.0)
    tool = spec_with(http_tool(api.url, timeout_s=0.3)).external_tools[0]
    with pytest.raises(ToolError, match="no answer within"):
        ExternalToolRunner(sleep=no_sleep).invoke(tool, {"city": "Oslo"}, ToolContext())


def test_signed_http_tool(api: JsonServer) -> None:
    api.reply({"text": "ok"})
    tool = spec_with(http_tool(api.url, signing_secret="ssm:/mastra/tools/forecast")).external_tools[0]
    asked: list[str] = []

    def secret(ref: str) -> SecretStr:
        asked.append(ref)
        return SecretStr("tool-secret")

    ExternalToolRunner(secret=secret, sleep=no_sleep).invoke(tool, {"city": "Oslo"}, ToolContext())
    assert asked == ["ssm:/mastra/tools/forecast"]
    assert signing.verify(b"tool-secret", api.bodies[0], api.headers[0]["mastra-signature"])


def test_lambda_tool_through_a_stubber() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    raw = json.dumps({"text": "Invoice 17 is paid.", "data": {"paid": True}}).encode()
    tool = spec_with(
        {
            "name": "invoice_status",
            "description": "Invoice status",
            "function_name": "mastra-tool-invoices",
            "input_schema": {"type": "object", "properties": {"invoice": {"type": "integer"}}, "required": ["invoice"]},
        }
    ).external_tools[0]
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))},
            {"FunctionName": "mastra-tool-invoices", "InvocationType": "RequestResponse", "Payload": ANY},
        )
        err = json.dumps({"errorMessage": "invoice 18 not found", "errorType": "KeyError"}).encode()
        stub.add_response(
            "invoke",
            {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": StreamingBody(io.BytesIO(err), len(err))},
        )
        runner = ExternalToolRunner(lambda_client=lambda _: client, sleep=no_sleep)
        out = runner.invoke(tool, {"invoice": 17}, ToolContext(request_id="r", user_id="u"))
        assert out.text == "Invoice 17 is paid." and out.data == {"paid": True}
        with pytest.raises(ToolError, match="invoice 18 not found"):
            runner.invoke(tool, {"invoice": 18}, ToolContext())


@pytest.mark.parametrize(
    ("tool", "reason"),
    [
        ({"name": "t", "description": "d"}, "exactly one of url and function_name"),
        (
            {"name": "t", "description": "d", "url": "http://x", "function_name": "f"},
            "exactly one of url and function_name",
        ),
        ({"name": "t", "description": "d", "url": "http://x", "input_schema": {"type": "string"}}, "object schema"),
        (
            {"name": "t", "description": "d", "url": "http://x", "input_schema": {"type": "object", "properties": 3}},
            "valid JSON Schema",
        ),
        ({"name": "calculator", "description": "d", "url": "http://x"}, "clash with built-in"),
    ],
)
def test_bad_tool_declarations_are_spec_errors(tool: dict[str, Any], reason: str, tmp_path: Any) -> None:
    from mastra.spec.loader import load_spec

    path = tmp_path / "agent.json"
    path.write_text(
        json.dumps({"id": "a", "name": "A", "description": "d", "tools": ["calculator"], "external_tools": [tool]})
    )
    with pytest.raises(SpecError, match=reason):
        load_spec(path)


def test_a_lambda_tool_whose_client_cannot_be_built_is_a_tool_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    tool = spec_with({"name": "t", "description": "d", "function_name": "mastra-tool-x"}).external_tools[0]
    with pytest.raises(ToolError, match="region"):
        ExternalToolRunner(sleep=no_sleep).invoke(tool, {}, ToolContext())
