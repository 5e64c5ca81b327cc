"""The placeholders PII redaction leaves in text (``[EMAIL]``), and the same text in plain words.

Kept out of ``mastra.privacy`` so the routing step can read placeholders without importing the
detectors (libphonenumber, stdnum): ~100 ms of cold start it would never use.
"""

from __future__ import annotations

import re

#: What each redacted entity type reads as to a model that never saw the value.
WORDS: dict[str, str] = {
    "EMAIL": "email address",
    "PHONE": "phone number",
    "CREDIT_CARD": "card number",
    "IBAN": "IBAN",
    "SSN": "social security number",
    "NATIONAL_ID": "national id number",
    "IP_ADDRESS": "IP address",
    "SECRET": "password",
}
_PLACEHOLDER = re.compile(r"\[(" + "|".join(WORDS) + r")\]")


def placeholder(entity_type: str) -> str:
    return f"[{entity_type}]"


def as_words(text: str) -> str:
    """``"mail [EMAIL] my [CREDIT_CARD] statement"`` -> ``"mail email address my card number statement"``.

    The router and the encoder were trained on words: bracketed type names read as noise to them
    and push a redacted request towards the fallback ("is this about anything we do?").

    >>> as_words("send it to [EMAIL] please")
    'send it to email address please'
    """
    return _PLACEHOLDER.sub(lambda m: WORDS[m.group(1)], text)
