"""What a detector finds: typed character spans of a text."""

from __future__ import annotations

from dataclasses import dataclass

EMAIL = "EMAIL"
PHONE = "PHONE"
CREDIT_CARD = "CREDIT_CARD"
IBAN = "IBAN"
SSN = "SSN"
NATIONAL_ID = "NATIONAL_ID"
IP_ADDRESS = "IP_ADDRESS"
SECRET = "SECRET"

#: Every entity type the detector reports (PERSON and LOCATION need an NER model: not detected).
TYPES: tuple[str, ...] = (EMAIL, PHONE, CREDIT_CARD, IBAN, SSN, NATIONAL_ID, IP_ADDRESS, SECRET)


@dataclass(frozen=True, order=True)
class Span:
    """``text[start:end]`` is an entity of ``type``; ``kind`` narrows it (``aws_access_key``, ``nino``)."""

    start: int
    end: int
    type: str
    kind: str = ""

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end
