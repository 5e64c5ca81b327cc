"""Secrets in text: provider API keys, cloud credentials, private keys, tokens, passwords.

A small detector for the output screen (an answer must not carry a key the model saw in a tool
result or its prompt). ``mastra.privacy`` (PII) detects some of the same kinds; the two are meant
to fold into one detector, this module keeping the secret kinds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

_SECRETS: list[tuple[str, re.Pattern[str]]] = [
    (
        "private_key",
        re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z ]*-----|$)"),
    ),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b")),
    (
        "aws_secret_key",
        re.compile(r"(?i)\baws_?secret_?(?:access_?)?key\b\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}\b"),
    ),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}\b")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    ("stripe_key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b")),
    ("connection_string", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]{3,}@[^\s/]+")),
    (
        "password",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|passphrase|api[_ -]?key|secret(?:[_ -]?key)?|access[_ -]?token|"
            r"auth[_ -]?token|client[_ -]?secret)\b\s*(?:is|[:=])\s*[\"'`]?(?P<value>[^\s\"'`,;]{6,})"
        ),
    ),
]
#: Words a "password is ..." phrase may be followed by that are not a password.
_NOT_VALUES = frozenset("required incorrect invalid wrong expired reset changed missing strong weak correct".split())


@dataclass(frozen=True)
class Secret:
    kind: str
    start: int
    end: int


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def find_secrets(text: str) -> list[Secret]:
    """Every secret in ``text`` (kind and span; the first kind to claim a span keeps it)."""
    found: list[Secret] = []
    for kind, pattern in _SECRETS:
        for m in pattern.finditer(text):
            if any(s.start < m.end() and m.start() < s.end for s in found):
                continue
            if kind == "password":
                value = m.group("value")
                if value.lower().strip(".") in _NOT_VALUES or (len(value) < 10 and _entropy(value) < 2.5):
                    continue
            found.append(Secret(kind, m.start(), m.end()))
    return sorted(found, key=lambda s: s.start)
