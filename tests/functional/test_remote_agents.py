"""Lambda agents (botocore Stubber) and HTTP agents (a loopback webhook that verifies Mastra-Signature)."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from pydantic import SecretStr
from tests.loopback import JsonServer, Scripted, json_server

from mastra.agents.executor import AgentExecutor
from mastra.errors import ProviderError, ProviderThrottledError, StepTimeoutError
from mastra.providers import ProviderFactory
from mastra.providers.base import ChatMessage, CompletionRequest
from mastra.providers.remote import HttpAgentProvider, LambdaAgentProvider
from mastra.providers.resilience import FallbackProvider, RetryingProvider, RetryPolicy
from mastra.providers.secrets import SecretResolver
from mastra.security import signing
from mastra.spec.models import AgentSpec, ModelSettings

SECRET = "whsec-test-91b2"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:mastra-agent-billing"


def req(message: str = "what is my balance", timeout_s: float = 5.0) -> CompletionRequest:
    return CompletionRequest(
        system="You are Billing.",
        messages=[ChatMessage(role="assistant", content="Hello"), ChatMessage(role="user", content=message)],
        settings=ModelSettings(max_tokens=200),
        timeout_s=timeout_s,
        context={"agent_id": "billing", "request_id": "req-1", "user_id": "alice"},
    )


# ---- Lambda agent ------------------------------------------------------------------------------
@pytest.fixture
def lam() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("lambda", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def payload(data: Any, function_error: str | None = None) -> dict[str, Any]:
    raw = json.dumps(data).encode()
    reply: dict[str, Any] = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))}
    if function_error:
        reply["FunctionError"] = function_error
    return reply


def test_lambda_agent_sends_the_contract_and_reads_the_reply(lam: tuple[Any, Stubber]) -> None:
    client, stub = lam
    sent: list[dict[str, Any]] = []
    client.meta.events.register("provide-client-params.lambda.Invoke", lambda params, **_: sent.append(params))
    stub.add_response(
        "invoke",
        payload({"answer": "Your balance is 12 EUR.", "sources": ["ledger"], "model_id": "rules-v2", "extra": 1}),
        {"FunctionName": FUNCTION, "InvocationType": "RequestResponse", "Payload": ANY, "Qualifier": "live"},
    )
    response = LambdaAgentProvider(FUNCTION, qualifier="live", client=client).complete(req())
    assert response.message.content == "Your balance is 12 EUR."
    assert response.sources == ["ledger"] and response.model_id == "rules-v2"
    body = json.loads(sent[0]["Payload"])
    assert body["version"] == "mastra.agent/v1"
    assert (body["agent_id"], body["request_id"], body["user_id"]) == ("billing", "req-1", "alice")
    assert body["message"] == "what is my balance" and body["system"] == "You are Billing."
    assert [m["role"] for m in body["messages"]] == ["assistant", "user"] and body["max_tokens"] == 200


def test_lambda_function_error_is_a_provider_error(lam: tuple[Any, Stubber]) -> None:
    client, stub = lam
    stub.add_response("invoke", payload({"errorMessage": "KeyError: 'x'", "errorType": "KeyError"}, "Unhandled"))
    with pytest.raises(ProviderError, match="KeyError") as info:
        LambdaAgentProvider(FUNCTION, client=client).complete(req())
    assert not isinstance(info.value, ProviderThrottledError)


def test_lambda_reply_breaking_the_contract_is_a_provider_error(lam: tuple[Any, Stubber]) -> None:
    client, stub = lam
    stub.add_response("invoke", payload({"text": "no answer key"}))
    with pytest.raises(ProviderError, match=r"contract.*answer"):
        LambdaAgentProvider(FUNCTION, client=client).complete(req())


def test_lambda_throttling_is_retried_then_answers(lam: tuple[Any, Stubber]) -> None:
    client, stub = lam
    stub.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
    stub.add_response("invoke", payload({"answer": "ok"}))
    sleeps: list[float] = []
    provider = RetryingProvider(
        LambdaAgentProvider(FUNCTION, client=client), RetryPolicy(3, 0.2, 1.0), sleep=sleeps.append
    )
    assert provider.complete(req()).message.content == "ok"
    assert len(sleeps) == 1


def test_lambda_agent_falls_back_to_its_knowledge_and_records_why(lam: tuple[Any, Stubber]) -> None:
    client, stub = lam
    stub.add_client_error(
        "invoke", service_error_code="ResourceNotFoundException", service_message="Function not found"
    )
    spec = AgentSpec.model_validate(
        {
            "id": "billing",
            "name": "Billing",
            "description": "billing questions",
            "kind": "lambda",
            "function": {"function_name": FUNCTION},
            "knowledge": {"no_answer": "Billing is unavailable right now."},
        }
    )
    factory = ProviderFactory(None, instances={"lambda": LambdaAgentProvider(FUNCTION, client=client)})  # type: ignore[arg-type]
    provider = factory(spec)
    assert isinstance(provider, FallbackProvider)
    run = AgentExecutor(factory).run(spec, message="balance?", history=[], user_id="alice", request_id="r1")
    assert run.answer == "Billing is unavailable right now." and run.stop_reason == "no_match"
    assert run.provider == "no_answer"
    assert [(f.provider, f.error) for f in run.provider_failures] == [("lambda", "provider_error")]
    assert "ResourceNotFoundException" in run.provider_failures[0].message


# ---- HTTP agent --------------------------------------------------------------------------------
def verifying(server: JsonServer, secret: str) -> None:
    """The webhook refuses (401) any body whose Mastra-Signature does not verify."""

    def check(raw: bytes, headers: dict[str, str]) -> Scripted | None:
        if not signing.verify(secret.encode(), raw, headers.get(signing.HEADER.lower(), "")):
            return Scripted(401, {"error": "bad signature"})
        return None

    server.check = check


@pytest.fixture
def webhook() -> Iterator[JsonServer]:
    with json_server("/agent") as server:
        verifying(server, SECRET)
        yield server


def http_agent(url: str, secret: str = SECRET) -> HttpAgentProvider:
    return HttpAgentProvider(url, lambda: SecretStr(secret))


def test_http_agent_posts_a_signed_contract_request(webhook: JsonServer) -> None:
    webhook.reply({"answer": "Paris.", "usage": {"input_tokens": 3, "output_tokens": 1}})
    response = http_agent(webhook.url).complete(req("capital of France?"))
    assert response.message.content == "Paris." and response.usage.output_tokens == 1
    body = webhook.requests[0]
    assert body["version"] == "mastra.agent/v1" and body["message"] == "capital of France?"
    assert webhook.headers[0]["mastra-request-id"] == "req-1"
    assert signing.verify(SECRET.encode(), webhook.bodies[0], webhook.headers[0]["mastra-signature"])


def test_a_wrong_secret_is_refused_by_the_webhook(webhook: JsonServer) -> None:
    with pytest.raises(ProviderError, match="HTTP 401") as info:
        http_agent(webhook.url, secret="not-the-secret").complete(req())
    assert not isinstance(info.value, ProviderThrottledError)
    assert "not-the-secret" not in info.value.message


def test_http_5xx_is_retried_with_backoff_then_answers(webhook: JsonServer) -> None:
    webhook.reply({"error": "busy"}, status=503)
    webhook.reply({"error": "slow down"}, status=429, headers={"Retry-After": "1"})
    webhook.reply({"answer": "done"})
    sleeps: list[float] = []
    provider = RetryingProvider(
        http_agent(webhook.url), RetryPolicy(3, 0.1, 0.5), sleep=sleeps.append, rng=random.Random(2)
    )
    assert provider.complete(req()).message.content == "done"
    assert len(webhook.bodies) == 3 and len(sleeps) == 2
    assert sleeps[0] <= 0.1 and sleeps[1] == 1.0  # the Retry-After wins over a shorter backoff


def test_http_agent_timeout_is_a_step_timeout(webhook: JsonServer) -> None:
    webhook.reply({"answer": "late"}, delay_s=2.0)
    with pytest.raises(StepTimeoutError):
        http_agent(webhook.url).complete(req(timeout_s=0.3))


@pytest.mark.parametrize(
    "reply", [{"answer": 42}, {"answer": "x", "stop_reason": "exploded"}, ["answer"], b"<html>oops</html>"]
)
def test_replies_breaking_the_contract_are_provider_errors(webhook: JsonServer, reply: Any) -> None:
    webhook.reply(reply)
    with pytest.raises(ProviderError):
        http_agent(webhook.url).complete(req())


def test_unreachable_webhook_is_throttled() -> None:
    with pytest.raises(ProviderThrottledError, match="cannot reach"):
        http_agent("http://127.0.0.1:9/agent").complete(req())


def test_http_agent_spec_signs_with_the_secret_from_secrets_manager(webhook: JsonServer) -> None:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from moto import mock_aws

    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        sm.create_secret(Name="mastra/webhooks/faq", SecretString=SECRET)
        spec = AgentSpec.model_validate(
            {
                "id": "faq",
                "name": "FAQ",
                "description": "questions about the product",
                "kind": "http",
                "webhook": {"url": webhook.url, "signing_secret": "secretsmanager:mastra/webhooks/faq"},
                "model": {"offline_fallback": False},
            }
        )
        factory = ProviderFactory(None, secrets=SecretResolver(secrets=SecretsProvider(boto3_client=sm)))  # type: ignore[arg-type]
        webhook.reply({"answer": "We ship worldwide."})
        run = AgentExecutor(factory).run(spec, message="do you ship abroad?", history=[], user_id="u", request_id="r9")
    assert run.answer == "We ship worldwide." and run.provider == "http" and run.provider_failures == []
    assert webhook.requests[0]["request_id"] == "r9"


def test_spec_kinds_need_their_target() -> None:
    base = {"id": "a", "name": "A", "description": "d"}
    with pytest.raises(ValueError, match="kind 'lambda' needs `function`"):
        AgentSpec.model_validate({**base, "kind": "lambda"})
    with pytest.raises(ValueError, match="kind 'http' needs `webhook`"):
        AgentSpec.model_validate({**base, "kind": "model", "webhook": {"url": "http://x", "signing_secret": "ssm:/s"}})
    with pytest.raises(ValueError, match="signing_secret"):
        AgentSpec.model_validate(
            {**base, "kind": "http", "webhook": {"url": "http://x", "signing_secret": "plaintext"}}
        )


def test_documented_example_specs_validate() -> None:
    from pathlib import Path

    from mastra.spec.loader import load_spec

    directory = Path(__file__).resolve().parents[2] / "docs" / "examples" / "agents"
    specs = {p.stem: load_spec(p) for p in sorted(directory.glob("*.yaml"))}
    assert set(specs) == {"assistant_with_fallbacks", "billing_lambda", "faq_webhook"}
    assert [t.provider for t in specs["assistant_with_fallbacks"].model.fallbacks] == ["bedrock", "openai", "sagemaker"]
    assert specs["billing_lambda"].kind == "lambda" and specs["faq_webhook"].kind == "http"
    assert {t.name for t in specs["faq_webhook"].external_tools} == {"order_status", "shipping_quote"}


def test_a_lambda_client_that_cannot_be_built_is_a_provider_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # No region anywhere: botocore cannot build the client. The chain must see a ProviderError.
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(ProviderError, match="region"):
        LambdaAgentProvider("mastra-agent-x").complete(req())


def test_reference_lambda_agent_through_moto_with_in_process_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real ``lambda`` client against moto; moto's invoke runs docs/examples/lambda_agent/app.py in-process."""
    import importlib.util
    import zipfile
    from pathlib import Path

    from moto import mock_aws
    from moto.awslambda.models import LambdaFunction

    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / "lambda_agent" / "app.py"
    module_spec = importlib.util.spec_from_file_location("lambda_agent_app", path)
    assert module_spec is not None and module_spec.loader is not None
    app = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(app)
    invoked: list[str] = []

    def invoke(self: Any, event: Any = None) -> tuple[str, bool, str]:
        invoked.append(self.function_name)
        payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
        return json.dumps(app.handler(payload, None)), False, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", path.read_text())
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="agent", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        client = boto3.client("lambda", region_name="us-east-1")
        client.create_function(
            FunctionName="mastra-agent-billing",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": buf.getvalue()},
        )
        provider = LambdaAgentProvider("mastra-agent-billing", client=client)
        response = provider.complete(req("what is my balance?"))
        unknown = provider.complete(req("what is my balance?").model_copy(update={"context": {"user_id": "eve"}}))
    assert response.message.content == "Your balance is 12.40 EUR." and response.sources == ["ledger"]
    assert response.model_id == "billing-rules-v1"
    assert unknown.stop_reason == "no_match"
    assert invoked == ["mastra-agent-billing", "mastra-agent-billing"]


def test_reference_webhook_verifies_the_signature_and_answers() -> None:
    import importlib.util
    import threading
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / "http_agent" / "server.py"
    module_spec = importlib.util.spec_from_file_location("http_agent_server", path)
    assert module_spec is not None and module_spec.loader is not None
    example = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(example)
    httpd = example.make_server(SECRET.encode())
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        response = http_agent(url).complete(req("do you ship to Norway?"))
        assert response.sources == ["shipping"] and "40 countries" in response.message.content
        with pytest.raises(ProviderError, match="HTTP 401"):
            http_agent(url, secret="wrong").complete(req())
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
