"""JSON over HTTP (webhooks, HTTP tools) and Lambda invokes, with errors translated to Mastra's.

The standard library's ``urllib`` does the HTTP: one POST with a timeout needs no dependency in
the Lambda layer. Throttling and server faults (429, 5xx, Lambda's TooManyRequests) become
:class:`~mastra.errors.ProviderThrottledError` so the caller's retry policy can back off; a
``Retry-After`` is passed on as ``details["retry_after_s"]``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from mastra.errors import ProviderError, ProviderThrottledError, StepTimeoutError

#: Longest error body quoted in a message.
QUOTE = 200
LAMBDA_THROTTLE_CODES = frozenset(
    {"TooManyRequestsException", "ServiceException", "EC2ThrottledException", "ResourceNotReadyException"}
)


def post_json(
    url: str, body: bytes, *, headers: dict[str, str], timeout_s: float, what: str
) -> tuple[Any, dict[str, str]]:
    """POST ``body`` (JSON) to ``url``; the decoded JSON reply and its headers (lower-cased).

    ``what`` names the caller in errors (``http agent 'billing'``).
    """
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read()
            reply_headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        text = exc.read()[:QUOTE].decode(errors="replace")
        details: dict[str, Any] = {"status": exc.code}
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
        if retry_after and retry_after.strip().isdigit():
            details["retry_after_s"] = float(retry_after)
        error_type = ProviderThrottledError if exc.code == 429 or exc.code >= 500 else ProviderError
        raise error_type(f"{what}: HTTP {exc.code}: {text}".rstrip(": "), details=details) from None
    except TimeoutError as exc:
        raise StepTimeoutError(f"{what}: no answer within {timeout_s:.3g} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise StepTimeoutError(f"{what}: no answer within {timeout_s:.3g} s") from exc
        raise ProviderThrottledError(f"{what}: cannot reach the endpoint: {exc.reason}") from exc
    except OSError as exc:  # connection reset mid-reply
        raise ProviderThrottledError(f"{what}: connection failed: {exc}") from exc
    try:
        return json.loads(raw), reply_headers
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProviderError(f"{what}: the reply is not JSON: {raw[:QUOTE].decode(errors='replace')}") from None


def invoke_lambda(
    client: Callable[[], Any], function_name: str, payload: dict[str, Any], *, qualifier: str | None, what: str
) -> Any:
    """Invoke ``function_name`` synchronously with ``payload``; its decoded JSON result.

    ``client`` returns the ``lambda`` client; it is called inside the error translation, so a
    client that cannot be built (no region, no credentials) is a :class:`ProviderError` too.
    A function error (an exception in the function) is a :class:`ProviderError` quoting its
    ``errorMessage``; Lambda's throttling a :class:`ProviderThrottledError`.
    """
    from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    params: dict[str, Any] = {
        "FunctionName": function_name,
        "InvocationType": "RequestResponse",
        "Payload": json.dumps(payload).encode(),
    }
    if qualifier:
        params["Qualifier"] = qualifier
    try:
        response = client().invoke(**params)
        raw = response["Payload"].read()
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        text = str(exc.response.get("Error", {}).get("Message") or "")[:QUOTE]
        error_type = ProviderThrottledError if code in LAMBDA_THROTTLE_CODES else ProviderError
        raise error_type(f"{what}: lambda {code}: {text}".rstrip(": "), details={"code": code}) from None
    except (ReadTimeoutError, ConnectTimeoutError) as exc:
        raise StepTimeoutError(f"{what}: no answer from {function_name}") from exc
    except BotoConnectionError as exc:  # endpoint unreachable, connection dropped: transient
        raise ProviderThrottledError(f"{what}: {exc}") from exc
    except BotoCoreError as exc:
        raise ProviderError(f"{what}: {exc}") from exc
    try:
        result = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProviderError(f"{what}: the function's result is not JSON") from None
    if response.get("FunctionError"):
        message = result.get("errorMessage") if isinstance(result, dict) else None
        raise ProviderError(
            f"{what}: the function failed: {str(message or response['FunctionError'])[:QUOTE]}",
            details={"function_error": response["FunctionError"]},
        )
    return result


def lambda_client(region: str | None, timeout_s: float) -> Any:
    """A ``lambda`` client that waits at most ``timeout_s`` for a reply and does not retry itself."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=min(5.0, timeout_s),
        read_timeout=timeout_s,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return boto3.session.Session(region_name=region).client("lambda", config=config)
