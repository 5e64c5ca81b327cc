"""Secrets in an answer, for the output screen: the credential kinds of ``mastra.privacy``'s detector.

One detector serves both: what the PII redaction hides on the way in is what the output screen
refuses to let out.
"""

from __future__ import annotations

from dataclasses import dataclass

from mastra.privacy.secrets import recognise_secret


@dataclass(frozen=True)
class Secret:
    kind: str
    start: int
    end: int


def find_secrets(text: str) -> list[Secret]:
    """Every secret in ``text`` (kind and span), in order."""
    return sorted((Secret(s.kind, s.start, s.end) for s in recognise_secret(text)), key=lambda s: s.start)
