"""Callbacks: where they may go (no SSRF), the per-tenant secrets that sign them, and delivery.

URL rules. On AWS (``public``): https only, and every address the host resolves to must be a
public one (no private, loopback, link-local - the instance metadata endpoint -, shared, reserved
or multicast addresses), checked when the request is accepted and again before each delivery (a
DNS answer may change meanwhile). Locally: https anywhere, or http to a loopback address or
``localhost`` (a receiver on the developer's machine; no DNS lookup is made to decide). Redirects are never followed: a
redirect could lead past the address check.

Delivery: ``POST`` of the status record as JSON with ``Mastra-Signature`` (``mastra.security.signing``),
retried with exponential backoff and jitter on network errors, timeouts, 408, 429 and 5xx; any other
4xx is final (the receiver refuses it; retrying will not change its mind).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import random
import secrets
import socket
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mastra.errors import InvalidRequestError, MastraError
from mastra.security import signing

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class CallbackError(MastraError):
    code = "callback_failed"


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def check_callback_url(url: str, *, public: bool, resolver: Resolver = resolve) -> str:
    """``url`` if a callback may go there; :class:`InvalidRequestError` (422) with the reason if not."""

    def refuse(reason: str) -> InvalidRequestError:
        return InvalidRequestError(f"callback_url: {reason}", details={"callback_url": url[:200], "reason": reason})

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise refuse(f"not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise refuse("only https URLs are called back" + ("" if public else " (or http to loopback)"))
    if not host:
        raise refuse("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise refuse("credentials in the URL are not allowed (authenticate by the signature)")
    if public and scheme != "https":
        raise refuse("only https URLs are called back")
    if not public:
        if scheme == "https":
            return url
        # http: a loopback literal or "localhost" only, decided without a DNS lookup.
        try:
            loopback = host.lower() in ("localhost", "localhost.") or _address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise refuse("http callbacks must go to a loopback address (use https for other hosts)")
        return url
    try:
        addresses = [_address(a) for a in resolver(host, port or (443 if scheme == "https" else 80))]
    except (OSError, ValueError, UnicodeError) as exc:
        raise refuse(f"cannot resolve {host!r} ({exc})") from None
    if not addresses:
        raise refuse(f"{host!r} resolves to no address")
    for address in addresses:
        if not address.is_global or address.is_multicast:
            kind = (
                "link-local"
                if address.is_link_local
                else "loopback"
                if address.is_loopback
                else "private"
                if address.is_private
                else "non-public"
            )
            raise refuse(f"{host!r} resolves to a {kind} address ({address})")
    return url


# ---- secrets -------------------------------------------------------------------------------------
class CallbackSecrets(ABC):
    """Each tenant's callback signing secret."""

    @abstractmethod
    def get(self, tenant_id: str) -> bytes:
        """The secret; :class:`CallbackError` if none is provisioned."""


class LocalCallbackSecrets(CallbackSecrets):
    """Embedded default: ``<home>/callback-secrets/<tenant>.key`` (mode 0600), made on first use.

    ``mastra requests secret`` prints it, for the receiver's configuration.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, tenant_id: str) -> bytes:
        path = self.directory / f"{tenant_id}.key"
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            pass
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        value = secrets.token_urlsafe(32).encode()
        try:  # O_EXCL: two threads making it at once agree on the first one written
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as f:
            f.write(value)
        return value


class SSMCallbackSecrets(CallbackSecrets):
    """On AWS: the SecureString SSM parameter ``<prefix><tenant>`` (encrypted with the stack's key),
    read through Powertools Parameters (cached ``max_age`` seconds per warm container)."""

    def __init__(self, prefix: str, *, max_age: int = 300, provider: Any | None = None) -> None:
        self.prefix = prefix
        self.max_age = max_age
        self._provider = provider

    def get(self, tenant_id: str) -> bytes:
        from aws_lambda_powertools.utilities.parameters import SSMProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        if self._provider is None:  # on the process's shared client (endpoint, retries and timeouts)
            from mastra import aws

            self._provider = SSMProvider(boto3_client=aws.client("ssm"))
        name = f"{self.prefix}{tenant_id}"
        try:
            value = self._provider.get(name, decrypt=True, max_age=self.max_age)
        except GetParameterError as exc:
            raise CallbackError(f"no callback secret for tenant {tenant_id!r} (SSM {name}): {exc}") from exc
        return str(value).encode()


# ---- delivery ------------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is returned as the response (and counts as a refusal)


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass
class Attempt:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        return self.status_code is None or self.status_code in RETRY_STATUS


def post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> Attempt:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout_s) as response:
            return Attempt(int(response.status), None)
    except urllib.error.HTTPError as exc:
        return Attempt(int(exc.code), f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Attempt(None, f"{type(exc).__name__}: {reason}")


@dataclass
class Delivery:
    url: str
    attempts: int
    status_code: int | None
    error: str | None
    delivered: bool


class CallbackSender:
    """Signs and delivers callbacks, with retries and backoff."""

    def __init__(
        self,
        secrets: CallbackSecrets,
        *,
        public: bool,
        attempts: int = 4,
        timeout_s: float = 5.0,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        resolver: Resolver = resolve,
        send: Callable[[str, bytes, dict[str, str], float], Attempt] = post,
    ) -> None:
        self.secrets = secrets
        self.public = public
        self.attempts = attempts
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.resolver = resolver
        self.send = send

    def check(self, url: str) -> str:
        return check_callback_url(url, public=self.public, resolver=self.resolver)

    def deliver(self, tenant_id: str, url: str, body: bytes, *, request_id: str) -> Delivery:
        try:
            secret = self.secrets.get(tenant_id)
            self.check(url)  # again: what the host resolves to may have changed since it was accepted
        except MastraError as exc:
            return Delivery(url, 0, None, exc.message, False)
        last = Attempt(None, "not attempted")
        for attempt in range(1, self.attempts + 1):
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "mastra-callback/1",
                signing.HEADER: signing.sign(secret, body),  # signed per attempt: the timestamp is fresh
                "Mastra-Request-Id": request_id,
                "Mastra-Delivery-Attempt": str(attempt),
            }
            last = self.send(url, body, headers, self.timeout_s)
            if last.ok:
                return Delivery(url, attempt, last.status_code, None, True)
            log.warning("callback %s for %s: attempt %d failed: %s", url, request_id, attempt, last.error)
            if not last.retryable or attempt == self.attempts:
                return Delivery(url, attempt, last.status_code, last.error, False)
            self.sleep(random.uniform(0.5, 1.0) * self.backoff_s * 2 ** (attempt - 1))
        return Delivery(url, self.attempts, last.status_code, last.error, False)  # pragma: no cover
