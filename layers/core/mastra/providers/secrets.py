"""Secrets (provider API keys, HTTP agent signing secrets) from SSM Parameter Store or Secrets Manager.

Read through Powertools Parameters, which caches each value for ``max_age`` seconds so a warm
Lambda does not call SSM on every request yet picks up a rotated key within minutes. References:

- ``ssm:/mastra/openai`` - a (SecureString) parameter, decrypted;
- ``secretsmanager:mastra/openai`` - a secret's string (a JSON secret: its ``api_key`` or ``secret``
  field, else the whole string);
- ``file:/path`` - a local file, for development only: refused on Lambda.

Values are :class:`pydantic.SecretStr`, so a repr, a log line or a traceback shows ``**********``;
errors name the reference, never the value.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from mastra.errors import ProviderError

#: Seconds a value is cached (Powertools' max_age). Rotation reaches warm functions within this.
DEFAULT_MAX_AGE_S = 300
#: Keys looked up, in order, in a JSON secret.
JSON_KEYS = ("api_key", "secret", "value")


def on_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


class SecretError(ProviderError):
    """A secret could not be read (missing, no permission, bad reference)."""

    code = "secret_unavailable"


class SecretResolver:
    """Resolves secret references; the Powertools providers (and their boto3 clients) are built on
    first use, or injected for tests."""

    def __init__(
        self,
        *,
        max_age_s: int = DEFAULT_MAX_AGE_S,
        ssm: Any | None = None,
        secrets: Any | None = None,
        allow_files: bool | None = None,
    ) -> None:
        self.max_age_s = max_age_s
        self._ssm = ssm
        self._secrets = secrets
        self.allow_files = (not on_lambda()) if allow_files is None else allow_files
        self._lock = threading.Lock()

    def _provider(self, kind: str) -> Any:
        from aws_lambda_powertools.utilities import parameters

        with self._lock:
            if kind == "ssm":
                if self._ssm is None:
                    self._ssm = parameters.SSMProvider()
                return self._ssm
            if self._secrets is None:
                self._secrets = parameters.SecretsProvider()
            return self._secrets

    def resolve(self, ref: str) -> SecretStr:
        """The secret ``ref`` points at; :class:`SecretError` (naming ``ref`` only) if it cannot be read."""
        scheme, _, name = ref.partition(":")
        if not name:
            raise SecretError(f"secret reference {ref!r} has no name", details={"secret": ref})
        try:
            if scheme == "ssm":
                value = self._provider("ssm").get(name, max_age=self.max_age_s, decrypt=True)
            elif scheme == "secretsmanager":
                value = _from_json(self._provider("secretsmanager").get(name, max_age=self.max_age_s))
            elif scheme == "file":
                if not self.allow_files:
                    raise SecretError(
                        f"secret {ref!r}: file: secrets are for local development; use ssm: or secretsmanager:",
                        details={"secret": ref},
                    )
                value = Path(name).read_text(encoding="utf-8")
            else:
                raise SecretError(f"secret reference {ref!r}: unknown scheme {scheme!r}", details={"secret": ref})
        except SecretError:
            raise
        except Exception as exc:
            # The message is the error's class only: SDK messages may echo request parameters.
            raise SecretError(
                f"secret {ref!r} could not be read ({type(exc).__name__})", details={"secret": ref}
            ) from None
        if isinstance(value, bytes):
            value = value.decode()
        text = str(value or "").strip()
        if not text:
            raise SecretError(f"secret {ref!r} is empty", details={"secret": ref})
        return SecretStr(text)


def _from_json(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            return value
        for key in JSON_KEYS:
            if isinstance(data.get(key), str):
                return data[key]
    return value


def api_key(secret_ref: str | None, env_name: str | None, resolver: SecretResolver) -> SecretStr | None:
    """A provider's API key: from ``secret_ref``; ``env_name`` only off Lambda (local development)."""
    if secret_ref:
        return resolver.resolve(secret_ref)
    if env_name:
        if on_lambda():
            raise SecretError(
                f"api_key_env {env_name!r} is for local development; on Lambda use api_key_secret",
                details={"env": env_name},
            )
        value = os.environ.get(env_name)
        return SecretStr(value) if value else None
    return None
