"""SageMakerProvider against a real sagemaker-runtime client wrapped in a botocore Stubber."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from mastra.agents.executor import AgentExecutor
from mastra.errors import ProviderError, ProviderThrottledError, StepTimeoutError
from mastra.providers.base import ChatMessage, CompletionRequest
from mastra.providers.resilience import RetryingProvider, RetryPolicy
from mastra.providers.sagemaker import SageMakerProvider
from mastra.spec.models import AgentSpec, ModelSettings

ENDPOINT = "llama-3-8b-instruct"


@pytest.fixture
def client() -> Any:
    return boto3.client("sagemaker-runtime", region_name="us-east-1")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def body(data: Any) -> dict[str, Any]:
    raw = json.dumps(data).encode()
    return {"Body": StreamingBody(io.BytesIO(raw), len(raw)), "ContentType": "application/json"}


def expect(stub: Stubber, reply: Any, payload: dict[str, Any] | None = None) -> None:
    params = {
        "EndpointName": ENDPOINT,
        "ContentType": "application/json",
        "Accept": "application/json",
        "Body": json.dumps(payload).encode() if payload is not None else _any(),
    }
    stub.add_response("invoke_endpoint", body(reply), params)


def _any() -> Any:
    from botocore.stub import ANY

    return ANY


def chat(content: str | None, tool_calls: list[dict[str, Any]] | None = None, finish: str = "stop") -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 5},
    }


def request(**kwargs: Any) -> CompletionRequest:
    return CompletionRequest(
        system="Be brief.",
        messages=[ChatMessage(role="user", content="hi")],
        settings=ModelSettings(provider="sagemaker", model_id=ENDPOINT, max_tokens=64, temperature=0.0),
        **kwargs,
    )


def test_messages_format_sends_the_exact_body_and_parses_the_reply(client: Any, stub: Stubber) -> None:
    expect(
        stub,
        chat("Hello!"),
        {
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
            "max_tokens": 64,
            "temperature": 0.0,
        },
    )
    response = SageMakerProvider(client=client).complete(request())
    assert response.message.content == "Hello!"
    assert response.model_id == ENDPOINT
    assert (response.usage.input_tokens, response.usage.output_tokens) == (20, 5)


def test_tgi_format_writes_a_transcript(client: Any, stub: Stubber) -> None:
    expect(
        stub,
        [{"generated_text": " Hi there. ", "details": {"finish_reason": "length", "generated_tokens": 64}}],
        {
            "inputs": "System: Be brief.\nUser: hi\nAssistant:",
            "parameters": {"max_new_tokens": 64, "temperature": 0.01, "return_full_text": False},
        },
    )
    response = SageMakerProvider(client=client, payload_format="tgi").complete(request())
    assert response.message.content == "Hi there."
    assert response.stop_reason == "max_tokens" and response.usage.output_tokens == 64


def test_tool_calls_round_trip_through_the_agent_loop(client: Any, stub: Stubber) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'},
    }
    expect(stub, chat(None, [call], finish="tool_calls"))
    expect(stub, chat("6 times 7 is 42."))
    spec = AgentSpec.model_validate(
        {
            "id": "calc",
            "name": "Calc",
            "description": "math",
            "model": {"provider": "sagemaker", "model_id": ENDPOINT},
            "tools": ["calculator"],
        }
    )
    run = AgentExecutor(lambda _: SageMakerProvider(client=client)).run(
        spec, message="what is 6*7", history=[], user_id="u", request_id="r"
    )
    assert run.answer == "6 times 7 is 42."
    assert run.tool_calls[0]["name"] == "calculator" and not run.tool_calls[0]["is_error"]


def test_second_round_body_carries_the_tool_result(client: Any) -> None:
    sent: list[dict[str, Any]] = []
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "calculator", "arguments": '{"expression": "2+2"}'},
    }
    replies = [chat(None, [call], finish="tool_calls"), chat("4")]

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.append(json.loads(params["Body"]))

    client.meta.events.register("provide-client-params.sagemaker-runtime.InvokeEndpoint", capture)
    with Stubber(client) as stub:
        for reply in replies:
            expect(stub, reply)
        spec = AgentSpec.model_validate(
            {
                "id": "c",
                "name": "C",
                "description": "d",
                "model": {"provider": "sagemaker", "model_id": ENDPOINT},
                "tools": ["calculator"],
            }
        )
        AgentExecutor(lambda _: SageMakerProvider(client=client)).run(
            spec, message="2+2?", history=[], user_id="u", request_id="r"
        )
    assert sent[0]["tools"][0]["function"]["name"] == "calculator"
    assert sent[1]["messages"][-2]["tool_calls"][0]["id"] == "call_1"
    assert sent[1]["messages"][-1]["role"] == "tool" and json.loads(sent[1]["messages"][-1]["content"])["text"]


@pytest.mark.parametrize("code", ["ThrottlingException", "ServiceUnavailable", "InternalFailure"])
def test_throttling_is_retryable(client: Any, stub: Stubber, code: str) -> None:
    stub.add_client_error("invoke_endpoint", service_error_code=code, http_status_code=429)
    with pytest.raises(ProviderThrottledError):
        SageMakerProvider(client=client).complete(request())


@pytest.mark.parametrize(
    ("status", "error"), [(503, ProviderThrottledError), (429, ProviderThrottledError), (400, ProviderError)]
)
def test_container_errors_by_original_status(client: Any, stub: Stubber, status: int, error: type) -> None:
    stub.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message="Received client error from the model",
        http_status_code=424,
        modeled_fields={"OriginalStatusCode": status, "OriginalMessage": "boom"},
    )
    with pytest.raises(error) as info:
        SageMakerProvider(client=client).complete(request())
    assert type(info.value) is error and info.value.details["status"] == status


def test_validation_error_is_not_retryable(client: Any, stub: Stubber) -> None:
    stub.add_client_error(
        "invoke_endpoint", service_error_code="ValidationError", service_message="Endpoint x not found"
    )
    with pytest.raises(ProviderError) as info:
        SageMakerProvider(client=client).complete(request())
    assert not isinstance(info.value, ProviderThrottledError) and "not found" in info.value.message


def test_model_timeout_is_a_step_timeout(client: Any, stub: Stubber) -> None:
    stub.add_client_error(
        "invoke_endpoint", service_error_code="ModelError", service_message="Model timed out", http_status_code=424
    )
    with pytest.raises(StepTimeoutError):
        SageMakerProvider(client=client).complete(request())


def test_reply_in_the_wrong_format_says_so(client: Any, stub: Stubber) -> None:
    expect(stub, [{"generated_text": "hi"}])
    with pytest.raises(ProviderError, match="payload_format"):
        SageMakerProvider(client=client).complete(request())


def test_retries_through_the_stubber_count_attempts_and_sleeps(client: Any, stub: Stubber) -> None:
    stub.add_client_error("invoke_endpoint", service_error_code="ThrottlingException", http_status_code=400)
    stub.add_client_error("invoke_endpoint", service_error_code="ThrottlingException", http_status_code=400)
    expect(stub, chat("finally"))
    sleeps: list[float] = []
    provider = RetryingProvider(
        SageMakerProvider(client=client), RetryPolicy(3, 0.5, 4.0), sleep=sleeps.append, rng=random.Random(0)
    )
    assert provider.complete(request()).message.content == "finally"
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_client_is_lazy_with_one_attempt_and_the_budgets_read_timeout() -> None:
    provider = SageMakerProvider(region="eu-west-1")
    assert provider._client is None
    client = provider.client_for(2.3)
    assert client.meta.config.read_timeout == 3.0
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert client.meta.region_name == "eu-west-1"
    assert provider.client_for(2.9) is client


def test_unreachable_endpoint_is_throttled_so_it_is_retried() -> None:
    from botocore.config import Config

    client = boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(ProviderThrottledError, match="Could not connect"):
        SageMakerProvider(client=client).complete(request())
