"""BedrockProvider against a real bedrock-runtime client wrapped in a botocore Stubber: no network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.stub import ANY, Stubber

from mastra.agents.executor import AgentExecutor
from mastra.errors import ProviderError, ProviderThrottledError, StepTimeoutError
from mastra.providers.base import ChatMessage, CompletionRequest, ToolCall, ToolResult, ToolSpec
from mastra.providers.bedrock import BedrockProvider
from mastra.spec.models import AgentSpec, ModelSettings
from mastra.tools import TOOLS

MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Fake credentials before the client exists, so nothing could sign a real request.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def converse_reply(
    content: list[dict[str, Any]], stop_reason: str = "end_turn", tokens: tuple[int, int] = (11, 7)
) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": 42},
    }


def calc_spec() -> AgentSpec:
    return AgentSpec.model_validate(
        {
            "id": "calc",
            "name": "Calc",
            "description": "math",
            "model": {"provider": "bedrock", "model_id": MODEL_ID},
            "tools": ["calculator"],
        }
    )


def test_text_answer_sends_the_exact_converse_request(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "converse",
        converse_reply([{"text": "Paris."}]),
        expected_params={
            "modelId": MODEL_ID,
            "messages": [{"role": "user", "content": [{"text": "Capital of France?"}]}],
            "system": [{"text": "Answer in one word."}],
            "inferenceConfig": {"maxTokens": 256, "temperature": 0.0},
        },
    )
    provider = BedrockProvider(client=client)
    response = provider.complete(
        CompletionRequest(
            system="Answer in one word.",
            messages=[ChatMessage(role="user", content="Capital of France?")],
            settings=ModelSettings(provider="bedrock", model_id=MODEL_ID, temperature=0.0, max_tokens=256),
        )
    )
    assert response.message.role == "assistant"
    assert response.message.content == "Paris."
    assert response.message.tool_calls == []
    assert response.stop_reason == "end_turn"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (11, 7)
    assert response.model_id == MODEL_ID


def test_tool_use_round_trip_through_the_agent_loop(client: Any, stub: Stubber) -> None:
    spec = calc_spec()
    calculator = TOOLS["calculator"]
    tool_config = {
        "tools": [
            {
                "toolSpec": {
                    "name": "calculator",
                    "description": calculator.description,
                    "inputSchema": {"json": calculator.input_schema},
                }
            }
        ]
    }
    question = {"role": "user", "content": [{"text": "what is 2+3?"}]}
    tool_use = {"toolUse": {"toolUseId": "tu_1", "name": "calculator", "input": {"expression": "2+3"}}}
    stub.add_response(
        "converse",
        converse_reply([{"text": "Let me compute that."}, tool_use], "tool_use", (20, 9)),
        expected_params={
            "modelId": MODEL_ID,
            "messages": [question],
            "system": ANY,  # the rendered agent prompt; not what this test is about
            "inferenceConfig": {"maxTokens": 512, "temperature": 0.2},
            "toolConfig": tool_config,
        },
    )
    expected_result = calculator.invoke({"expression": "2+3"}).model_dump()
    stub.add_response(
        "converse",
        converse_reply([{"text": "2 + 3 = 5."}], "end_turn", (40, 6)),
        expected_params={
            "modelId": MODEL_ID,
            "messages": [
                question,
                {"role": "assistant", "content": [{"text": "Let me compute that."}, tool_use]},
                {
                    "role": "user",
                    "content": [
                        {
                            "toolResult": {
                                "toolUseId": "tu_1",
                                "content": [{"json": expected_result}],
                                "status": "success",
                            }
                        }
                    ],
                },
            ],
            "system": ANY,
            "inferenceConfig": {"maxTokens": 512, "temperature": 0.2},
            "toolConfig": tool_config,
        },
    )
    provider = BedrockProvider(client=client)
    run = AgentExecutor(lambda spec: provider).run(
        spec, message="what is 2+3?", history=[], user_id="u", request_id="r"
    )
    assert run.answer == "2 + 3 = 5."
    assert run.stop_reason == "end_turn"
    assert run.model_id == MODEL_ID
    assert (run.usage.input_tokens, run.usage.output_tokens) == (60, 15)
    assert run.tool_calls == [
        {
            "name": "calculator",
            "arguments": {"expression": "2+3"},
            "result": expected_result,
            "is_error": False,
        }
    ]
    assert expected_result["text"] == "2 + 3 = 5"


@pytest.mark.parametrize(
    "code",
    [
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "InternalServerException",
    ],
)
def test_throttling_and_unavailability_are_retryable(client: Any, stub: Stubber, code: str) -> None:
    stub.add_client_error(
        "converse", service_error_code=code, service_message="Too many requests", http_status_code=429
    )
    with pytest.raises(ProviderThrottledError, match=code) as info:
        BedrockProvider(client=client).complete(_request())
    assert info.value.retryable
    assert "Too many requests" in info.value.message


def test_validation_error_is_a_provider_error_not_a_retry(client: Any, stub: Stubber) -> None:
    stub.add_client_error(
        "converse",
        service_error_code="ValidationException",
        service_message="The provided model identifier is invalid.",
        http_status_code=400,
    )
    with pytest.raises(ProviderError, match="ValidationException: The provided model identifier is invalid") as info:
        BedrockProvider(client=client).complete(_request())
    assert not isinstance(info.value, ProviderThrottledError)
    assert not info.value.retryable
    assert info.value.details["code"] == "ValidationException"


def test_model_timeout_is_a_step_timeout(client: Any, stub: Stubber) -> None:
    stub.add_client_error("converse", service_error_code="ModelTimeoutException", http_status_code=408)
    with pytest.raises(StepTimeoutError, match="ModelTimeoutException"):
        BedrockProvider(client=client).complete(_request())


def test_same_role_messages_are_merged_into_alternating_turns(client: Any, stub: Stubber) -> None:
    calls = [
        ToolCall(id="a", name="calculator", arguments={"expression": "1+1"}),
        ToolCall(id="b", name="clock"),
    ]
    stub.add_response(
        "converse",
        converse_reply([{"text": "ok"}]),
        expected_params={
            "modelId": MODEL_ID,
            "messages": [
                {"role": "user", "content": [{"text": "one"}, {"text": "two"}]},
                {
                    "role": "assistant",
                    "content": [
                        {"text": "thinking"},
                        {"toolUse": {"toolUseId": "a", "name": "calculator", "input": {"expression": "1+1"}}},
                        {"toolUse": {"toolUseId": "b", "name": "clock", "input": {}}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "toolResult": {
                                "toolUseId": "a",
                                "content": [{"json": {"text": "2"}}],
                                "status": "success",
                            }
                        },
                        {
                            "toolResult": {
                                "toolUseId": "b",
                                "content": [{"json": {"error": "x"}}],
                                "status": "error",
                            }
                        },
                        {"text": "and then?"},
                    ],
                },
            ],
            "inferenceConfig": ANY,
            "toolConfig": ANY,
        },
    )
    request = _request(
        [
            # A history window that opens on an assistant reply: Converse needs a user turn first.
            ChatMessage(role="assistant", content="earlier reply"),
            ChatMessage(role="user", content="one"),
            ChatMessage(role="user", content="two"),
            ChatMessage(role="assistant", content="thinking", tool_calls=calls[:1]),
            ChatMessage(role="assistant", tool_calls=calls[1:]),
            ChatMessage(
                role="tool",
                tool_results=[
                    ToolResult(tool_call_id="a", name="calculator", content={"text": "2"}),
                    ToolResult(tool_call_id="b", name="clock", content={"error": "x"}, is_error=True),
                ],
            ),
            ChatMessage(role="user", content="and then?"),
        ],
        tools=[ToolSpec(name="calculator", description="math", input_schema={"type": "object"})],
    )
    assert BedrockProvider(client=client).complete(request).message.content == "ok"


def test_tool_history_without_tools_offered_is_sent_as_text(client: Any, stub: Stubber) -> None:
    # The agent loop's last round offers no tools; Converse refuses toolUse blocks without toolConfig.
    stub.add_response(
        "converse",
        converse_reply([{"text": "5"}]),
        expected_params={
            "modelId": MODEL_ID,
            "messages": [
                {"role": "user", "content": [{"text": "2+3?"}]},
                {
                    "role": "assistant",
                    "content": [{"text": '[called tool calculator with {"expression": "2+3"}]'}],
                },
                {"role": "user", "content": [{"text": '[result of tool calculator: {"text": "5"}]'}]},
            ],
            "inferenceConfig": ANY,
        },
    )
    request = _request(
        [
            ChatMessage(role="user", content="2+3?"),
            ChatMessage(
                role="assistant",
                tool_calls=[ToolCall(id="a", name="calculator", arguments={"expression": "2+3"})],
            ),
            ChatMessage(
                role="tool",
                tool_results=[ToolResult(tool_call_id="a", name="calculator", content={"text": "5"})],
            ),
        ]
    )
    assert BedrockProvider(client=client).complete(request).message.content == "5"


@pytest.mark.parametrize(
    ("stop_reason", "expected"),
    [
        ("max_tokens", "max_tokens"),
        ("guardrail_intervened", "content_filtered"),
        ("content_filtered", "content_filtered"),
    ],
)
def test_stop_reasons_are_mapped(client: Any, stub: Stubber, stop_reason: str, expected: str) -> None:
    stub.add_response("converse", converse_reply([{"text": "…"}], stop_reason))
    assert BedrockProvider(client=client).complete(_request()).stop_reason == expected


def test_client_is_built_lazily_with_timeouts_and_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = BedrockProvider(region="eu-west-1", max_attempts=5)
    assert provider._client is None
    client = provider.client
    assert provider.client is client
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert client.meta.config.read_timeout > 0 and client.meta.config.connect_timeout > 0


def _request(messages: list[ChatMessage] | None = None, tools: list[ToolSpec] | None = None) -> CompletionRequest:
    return CompletionRequest(
        messages=messages or [ChatMessage(role="user", content="hi")],
        tools=tools or [],
        settings=ModelSettings(provider="bedrock", model_id=MODEL_ID),
    )


class _RaisingClient:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def converse(self, **params: Any) -> dict[str, Any]:
        raise self.exc


@pytest.mark.parametrize(
    "exc",
    [ReadTimeoutError(endpoint_url="https://bedrock"), ConnectTimeoutError(endpoint_url="https://bedrock")],
)
def test_socket_timeouts_are_step_timeouts(exc: Exception) -> None:
    with pytest.raises(StepTimeoutError, match="bedrock"):
        BedrockProvider(client=_RaisingClient(exc)).complete(_request())


def test_each_call_waits_at_most_the_agents_remaining_budget() -> None:
    provider = BedrockProvider(region="us-east-1")
    short, same, long = provider.client_for(2.3), provider.client_for(2.9), provider.client_for(500)
    assert short is same and short.meta.config.read_timeout == 3
    assert long.meta.config.read_timeout == 120
    assert short.meta.config.retries["total_max_attempts"] == 1  # the pipeline retries, not botocore


def test_throttling_is_retried_with_backoff_then_answers(client: Any, stub: Stubber) -> None:
    from mastra.providers.resilience import RetryingProvider, RetryPolicy

    stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
    stub.add_client_error("converse", service_error_code="ServiceUnavailableException", http_status_code=503)
    stub.add_response("converse", converse_reply([{"text": "ok"}]))
    sleeps: list[float] = []
    provider = RetryingProvider(BedrockProvider(client=client), RetryPolicy(3, 0.25, 4.0), sleep=sleeps.append)
    request = CompletionRequest(
        messages=[ChatMessage(role="user", content="hi")], settings=ModelSettings(provider="bedrock", model_id=MODEL_ID)
    )
    assert provider.complete(request).message.content == "ok"
    assert len(sleeps) == 2 and sleeps[0] <= 0.25 and sleeps[1] <= 0.5
