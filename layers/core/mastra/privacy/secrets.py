"""Credentials: cloud keys, tokens, private keys and ``password=...`` assignments (type SECRET).

Prefixed tokens are recognised by their documented shapes (AWS, GitHub, Slack, Stripe, OpenAI,
Google, JWT); an AWS secret access key has no prefix, so 40 base64 characters count only near
words that name it.
"""

from __future__ import annotations

import re

from mastra.privacy.entities import SECRET, Span

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "private_key",
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)"
        ),
    ),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{50,255})\b")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("stripe_key", re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b")),
    ("api_key", re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}\b")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    (
        "password",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|passphrase|api[_ -]?key|secret(?:[_ -]?key)?|access[_ -]?token|"
            r"auth[_ -]?token|client[_ -]?secret|token)\s*(?:is|[:=])\s*[\"']?(?P<value>[^\s\"',;]{6,})"
        ),
    ),
]
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_SECRET_CONTEXT = re.compile(r"(?i)aws|secret[_ ]?access|secret[_ ]?key")


def recognise_secret(text: str) -> list[Span]:
    found: list[Span] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start = m.start("value") if "value" in pattern.groupindex else m.start()
            end = m.end("value") if "value" in pattern.groupindex else m.end()
            if kind == "password" and _is_placeholder(m.group("value")):
                continue
            found.append(Span(start, end, SECRET, kind))
    for m in _AWS_SECRET.finditer(text):
        value = m.group(0)
        mixed = any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)
        if mixed and _AWS_SECRET_CONTEXT.search(text[max(0, m.start() - 60) : m.start()]):
            found.append(Span(m.start(), m.end(), SECRET, "aws_secret_key"))
    return found


def _is_placeholder(value: str) -> bool:
    """``password=[SECRET]``, ``token: <your token>``, ``***``: nothing to hide."""
    return value.startswith(("[", "<", "{", "$", "*", "%")) or set(value) <= set("*x.")
