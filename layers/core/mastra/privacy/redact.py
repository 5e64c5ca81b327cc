"""Applying a policy to a text: each detected span is replaced (``redact``), hinted (``mask``) or kept.

``redact`` puts the type in brackets (``[EMAIL]``); ``mask`` keeps enough to recognise one's own
data: an email's first letter and domain (``j***@example.com``), the last four digits of a card,
phone number, SSN or IBAN (with the IBAN's country), an IPv4 address's first two octets. A secret
is never hinted: masking one redacts it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mastra.privacy.detect import detect
from mastra.privacy.entities import CREDIT_CARD, EMAIL, IBAN, IP_ADDRESS, NATIONAL_ID, PHONE, SECRET, SSN, Span
from mastra.privacy.policy import DEFAULT, PrivacyPolicy


def placeholder(entity_type: str) -> str:
    return f"[{entity_type}]"


def _keep_last_digits(value: str, keep: int = 4, *, alnum: bool = False) -> str:
    """Every digit (or letter and digit) but the last ``keep`` starred, separators kept: ``**** **** **** 1111``."""
    hides = str.isalnum if alnum else str.isdigit
    total = sum(hides(ch) for ch in value)
    out, seen = [], 0
    for ch in value:
        if hides(ch):
            seen += 1
            out.append(ch if seen > total - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask(value: str, span: Span) -> str:
    t = span.type
    if t == EMAIL:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if t in (CREDIT_CARD, PHONE, SSN):
        return _keep_last_digits(value)
    if t == IBAN:
        return value[:2] + _keep_last_digits(value[2:], alnum=True)
    if t == NATIONAL_ID:
        return _keep_last_digits(value, 3, alnum=True)
    if t == IP_ADDRESS and span.kind == "ipv4":
        a, b, *_ = value.split(".")
        return f"{a}.{b}.*.*"
    if t == IP_ADDRESS:
        return value.split(":")[0] + ":****"
    return placeholder(t)  # SECRET and anything new: never hinted


@dataclass(frozen=True)
class Redaction:
    text: str
    found: list[Span]  # in the original text

    @property
    def changed(self) -> bool:
        return bool(self.found)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.found:
            out[s.type] = out.get(s.type, 0) + 1
        return out


def redact(text: str, policy: PrivacyPolicy = DEFAULT) -> Redaction:
    """``text`` with each detected span handled as ``policy`` says; ``found`` lists the spans changed."""
    spans = [s for s in detect(text) if policy.mode(s.type) != "allow"]
    if not spans:
        return Redaction(text, [])
    out, last = [], 0
    for s in spans:
        out.append(text[last : s.start])
        value = text[s.start : s.end]
        secret = s.type == SECRET
        out.append(mask(value, s) if policy.mode(s.type) == "mask" and not secret else placeholder(s.type))
        last = s.end
    out.append(text[last:])
    return Redaction("".join(out), spans)


def redact_text(text: str, policy: PrivacyPolicy = DEFAULT) -> str:
    return redact(text, policy).text
