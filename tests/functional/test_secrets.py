"""Secrets from SSM Parameter Store and Secrets Manager (moto) through Powertools Parameters, never leaked."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from tests.loopback import json_server

from mastra.errors import ProviderError
from mastra.providers import ProviderFactory
from mastra.providers.secrets import SecretError, SecretResolver, api_key
from mastra.spec.models import AgentSpec

KEY = "sk-test-4f9a1c77e2b04d5d"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        yield {"ssm": ssm, "secretsmanager": sm}


def resolver(aws: dict[str, Any], **kwargs: Any) -> SecretResolver:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

    return SecretResolver(
        ssm=SSMProvider(boto3_client=aws["ssm"]), secrets=SecretsProvider(boto3_client=aws["secretsmanager"]), **kwargs
    )


def test_ssm_secure_string_is_decrypted(aws: dict[str, Any]) -> None:
    aws["ssm"].put_parameter(Name="/mastra/openai", Value=KEY, Type="SecureString")
    secret = resolver(aws).resolve("ssm:/mastra/openai")
    assert secret.get_secret_value() == KEY
    assert KEY not in repr(secret) and KEY not in str(secret)


def test_secrets_manager_string_and_json_secret(aws: dict[str, Any]) -> None:
    aws["secretsmanager"].create_secret(Name="mastra/plain", SecretString=KEY)
    aws["secretsmanager"].create_secret(Name="mastra/json", SecretString=json.dumps({"api_key": KEY, "note": "x"}))
    r = resolver(aws)
    assert r.resolve("secretsmanager:mastra/plain").get_secret_value() == KEY
    assert r.resolve("secretsmanager:mastra/json").get_secret_value() == KEY


def test_values_are_cached_for_max_age(aws: dict[str, Any]) -> None:
    aws["ssm"].put_parameter(Name="/mastra/k", Value="first", Type="SecureString")
    cached, fresh = resolver(aws, max_age_s=300), resolver(aws, max_age_s=0)
    assert cached.resolve("ssm:/mastra/k").get_secret_value() == "first"
    assert fresh.resolve("ssm:/mastra/k").get_secret_value() == "first"
    aws["ssm"].put_parameter(Name="/mastra/k", Value="rotated", Type="SecureString", Overwrite=True)
    assert cached.resolve("ssm:/mastra/k").get_secret_value() == "first"  # no SSM call within max_age
    assert fresh.resolve("ssm:/mastra/k").get_secret_value() == "rotated"


def test_missing_secret_names_the_reference_only(aws: dict[str, Any]) -> None:
    with pytest.raises(SecretError) as info:
        resolver(aws).resolve("ssm:/mastra/missing")
    assert "ssm:/mastra/missing" in info.value.message and isinstance(info.value, ProviderError)


def test_file_secrets_are_for_local_development_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    assert SecretResolver().resolve(f"file:{path}").get_secret_value() == KEY
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "mastra-execute")
    with pytest.raises(SecretError, match="local development"):
        SecretResolver().resolve(f"file:{path}")


def test_api_key_env_is_refused_on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", KEY)
    got = api_key(None, "MY_KEY", SecretResolver())
    assert got is not None and got.get_secret_value() == KEY
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "mastra-execute")
    with pytest.raises(SecretError, match="api_key_secret"):
        api_key(None, "MY_KEY", SecretResolver())


class NoAgents:
    """ProviderFactory needs the compiled agents only for the retrieval model."""


def openai_spec(url: str, secret: str) -> AgentSpec:
    return AgentSpec.model_validate(
        {
            "id": "gpt",
            "name": "GPT",
            "description": "general",
            "model": {"provider": "openai", "model_id": "gpt-4o-mini", "base_url": url, "api_key_secret": secret},
        }
    )


def completion(text: str) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }


def test_openai_key_from_ssm_reaches_the_endpoint_and_never_the_logs(
    aws: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    from mastra.providers.base import ChatMessage, CompletionRequest

    # Mastra's loggers at DEBUG, every other at INFO (botocore's DEBUG wire log prints response
    # bodies, secrets included, by design: it is never enabled in deployments).
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="mastra")
    aws["ssm"].put_parameter(Name="/mastra/openai", Value=KEY, Type="SecureString")
    with json_server("/v1") as server:
        server.reply(completion("hello"))
        # The server echoes the refused key in its error body: it must not reach the error.
        server.reply(
            {"error": {"message": "Incorrect API key provided: sk-rotated", "type": "invalid_request_error"}},
            status=401,
        )
        spec = openai_spec(server.url, "ssm:/mastra/openai")
        provider = ProviderFactory(NoAgents(), secrets=resolver(aws, max_age_s=0))(spec)  # type: ignore[arg-type]
        req = CompletionRequest(messages=[ChatMessage(role="user", content="hi")], settings=spec.model)
        assert provider.complete(req).message.content == "hello"
        assert server.headers[0]["authorization"] == f"Bearer {KEY}"
        # A rotated key is picked up (max_age 0 here) and the client rebuilt with it.
        aws["ssm"].put_parameter(Name="/mastra/openai", Value="sk-rotated", Type="SecureString", Overwrite=True)
        with pytest.raises(ProviderError) as info:
            provider.complete(req)
        assert server.headers[1]["authorization"] == "Bearer sk-rotated"
    assert KEY not in info.value.message and KEY not in str(info.value.details)
    assert "sk-rotated" not in info.value.message and "HTTP 401" in info.value.message
    assert KEY not in caplog.text and "sk-rotated" not in caplog.text


def test_unreadable_key_is_a_provider_error_the_fallback_chain_handles(aws: dict[str, Any]) -> None:
    from mastra.providers.base import ChatMessage, CompletionRequest

    spec = AgentSpec.model_validate(
        {
            "id": "gpt",
            "name": "GPT",
            "description": "general",
            "model": {
                "provider": "openai",
                "model_id": "gpt-4o-mini",
                "base_url": "http://127.0.0.1:9/v1",
                "api_key_secret": "secretsmanager:mastra/absent",
                "fallbacks": [{"provider": "fake", "model_id": "canned"}],
            },
        }
    )
    provider = ProviderFactory(NoAgents(), secrets=resolver(aws))(spec)  # type: ignore[arg-type]
    response = provider.complete(
        CompletionRequest(messages=[ChatMessage(role="user", content="hi")], settings=spec.model)
    )
    assert response.provider == "fake"
    assert response.failures[0].error == "secret_unavailable"
    assert "secretsmanager:mastra/absent" in response.failures[0].message
