"""OpenAIProvider through the real openai SDK against a scripted OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from tests.loopback import JsonServer, json_server

from mastra.agents.executor import AgentExecutor
from mastra.errors import ProviderError, ProviderThrottledError, StepTimeoutError
from mastra.providers.base import ChatMessage, CompletionRequest
from mastra.providers.openai import OpenAIProvider
from mastra.spec.models import AgentSpec, ModelSettings
from mastra.tools import TOOLS

MODEL_ID = "gpt-4o-mini"


@pytest.fixture
def server() -> Iterator[JsonServer]:
    """A scripted OpenAI-compatible server: replies in order, records every request."""
    with json_server("/v1") as fake:
        yield fake
    assert set(fake.paths) <= {"/v1/chat/completions"}, fake.paths  # the SDK called nothing else


def completion(
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    tokens: tuple[int, int] = (12, 3),
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": MODEL_ID,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "total_tokens": sum(tokens)},
    }


def error(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def provider_for(server: JsonServer, **kwargs: Any) -> OpenAIProvider:
    return OpenAIProvider(base_url=server.url, api_key=None, **kwargs)


def request(**kwargs: Any) -> CompletionRequest:
    return CompletionRequest(
        messages=[ChatMessage(role="user", content="hi")],
        settings=ModelSettings(provider="openai", model_id=MODEL_ID),
        **kwargs,
    )


def test_text_answer_and_the_request_body(server: JsonServer) -> None:
    server.reply(completion("Paris."))
    response = provider_for(server).complete(
        CompletionRequest(
            system="Answer in one word.",
            messages=[ChatMessage(role="user", content="Capital of France?")],
            settings=ModelSettings(provider="openai", model_id=MODEL_ID, temperature=0.0, max_tokens=64),
        )
    )
    assert response.message.content == "Paris."
    assert response.message.tool_calls == []
    assert response.stop_reason == "end_turn"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (12, 3)
    assert response.model_id == MODEL_ID
    [body] = server.requests
    assert body == {
        "model": MODEL_ID,
        "messages": [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Capital of France?"},
        ],
        "temperature": 0.0,
        "max_tokens": 64,
    }
    # No key configured: local servers get a placeholder rather than the SDK refusing to start.
    assert server.headers[0]["authorization"] == "Bearer not-needed"


def test_tool_call_round_trip_through_the_agent_loop(server: JsonServer) -> None:
    spec = AgentSpec.model_validate(
        {
            "id": "calc",
            "name": "Calc",
            "description": "math",
            "model": {"provider": "openai", "model_id": MODEL_ID},
            "tools": ["calculator"],
        }
    )
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "calculator", "arguments": '{"expression": "2+3"}'},
    }
    server.reply(completion(None, [call], "tool_calls", (30, 10)))
    server.reply(completion("2 + 3 = 5.", tokens=(50, 5)))
    provider = provider_for(server)

    run = AgentExecutor(lambda spec: provider).run(
        spec, message="what is 2+3?", history=[], user_id="u", request_id="r"
    )

    assert run.answer == "2 + 3 = 5."
    assert run.stop_reason == "end_turn"
    assert (run.usage.input_tokens, run.usage.output_tokens) == (80, 15)
    expected_result = TOOLS["calculator"].invoke({"expression": "2+3"}).model_dump()
    assert run.tool_calls == [
        {
            "name": "calculator",
            "arguments": {"expression": "2+3"},
            "result": expected_result,
            "is_error": False,
        }
    ]
    first, second = server.requests
    calculator = TOOLS["calculator"]
    assert first["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "calculator",
                "description": calculator.description,
                "parameters": calculator.input_schema,
            },
        }
    ]
    assert first["messages"][0] == {"role": "system", "content": "You are Calc. math"}
    assert second["messages"][1:] == [
        {"role": "user", "content": "what is 2+3?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": json.dumps(expected_result)},
    ]


def test_rate_limit_is_throttled(server: JsonServer) -> None:
    server.reply(error("Rate limit reached", "rate_limit_exceeded"), status=429)
    with pytest.raises(ProviderThrottledError, match="HTTP 429: Rate limit reached") as info:
        provider_for(server, max_retries=0).complete(request())
    assert info.value.retryable
    assert len(server.requests) == 1


def test_server_error_is_throttled(server: JsonServer) -> None:
    server.reply(error("model is loading", "server_error"), status=503)
    with pytest.raises(ProviderThrottledError, match="HTTP 503"):
        provider_for(server, max_retries=0).complete(request())


def test_bad_request_is_a_provider_error_not_a_retry(server: JsonServer) -> None:
    server.reply(error("model 'nope' not found"), status=400)
    with pytest.raises(ProviderError, match="HTTP 400: model 'nope' not found") as info:
        provider_for(server, max_retries=0).complete(request())
    assert not isinstance(info.value, ProviderThrottledError)
    assert not info.value.retryable
    assert info.value.details["status"] == 400


def test_slow_answer_past_the_request_timeout_is_a_step_timeout(server: JsonServer) -> None:
    server.reply(completion("too late"), delay_s=10)
    with pytest.raises(StepTimeoutError, match=r"no answer within 0\.2 s"):
        provider_for(server, max_retries=0).complete(request(timeout_s=0.2))


def test_unreachable_endpoint_is_throttled() -> None:
    with socket.socket() as sock:  # a port nothing listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = OpenAIProvider(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(ProviderThrottledError, match="cannot reach"):
        provider.complete(request(timeout_s=2))


def test_invalid_tool_call_arguments_are_a_provider_error(server: JsonServer) -> None:
    call = {"id": "c", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": '}}
    server.reply(completion(None, [call], "tool_calls"))
    with pytest.raises(ProviderError, match="invalid JSON arguments"):
        provider_for(server).complete(request())


@pytest.mark.parametrize(
    ("finish_reason", "expected"), [("length", "max_tokens"), ("content_filter", "content_filtered")]
)
def test_finish_reasons_are_mapped(server: JsonServer, finish_reason: str, expected: str) -> None:
    server.reply(completion("partial", finish_reason=finish_reason))
    assert provider_for(server).complete(request()).stop_reason == expected


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # makes `import openai` raise ImportError
    with pytest.raises(ProviderError, match=r"pip install 'mastra\[openai\]'"):
        OpenAIProvider().complete(request())


def test_throttling_is_retried_with_backoff_by_the_retrying_wrapper(server: JsonServer) -> None:
    from mastra.providers.resilience import RetryingProvider, RetryPolicy

    server.reply(error("Rate limit reached", "rate_limit_error"), status=429)
    server.reply(error("upstream overloaded", "server_error"), status=503)
    server.reply(completion("third time lucky"))
    sleeps: list[float] = []
    # The SDK's own retries off (as ProviderFactory builds it): the attempts are Mastra's to count.
    provider = RetryingProvider(provider_for(server, max_retries=0), RetryPolicy(3, 0.5, 4.0), sleep=sleeps.append)
    assert provider.complete(request()).message.content == "third time lucky"
    assert len(server.requests) == 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_retries_give_up_after_max_attempts(server: JsonServer) -> None:
    from mastra.providers.resilience import RetryingProvider, RetryPolicy

    for _ in range(4):
        server.reply(error("Rate limit reached", "rate_limit_error"), status=429)
    sleeps: list[float] = []
    provider = RetryingProvider(provider_for(server, max_retries=0), RetryPolicy(3, 0.1, 1.0), sleep=sleeps.append)
    with pytest.raises(ProviderThrottledError) as info:
        provider.complete(request())
    assert len(server.requests) == 3 and len(sleeps) == 2 and info.value.details["attempts"] == 3
