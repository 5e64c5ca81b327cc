"""All recognisers over one text, overlaps resolved: ``detect(text) -> [Span]`` in text order.

When spans of different types overlap, the more specific recogniser wins (a card number is not
also a phone number, an email's digits are not a phone number): the order of ``RECOGNISERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mastra.privacy.entities import TYPES, Span
from mastra.privacy.phone import recognise_phone
from mastra.privacy.recognisers import (
    recognise_card,
    recognise_email,
    recognise_iban,
    recognise_ip,
    recognise_national_id,
    recognise_ssn,
)
from mastra.privacy.secrets import recognise_secret

Recogniser = Callable[[str], list[Span]]

#: Most specific first: a span claimed by one is not claimed by a later one.
RECOGNISERS: tuple[Recogniser, ...] = (
    recognise_secret,
    recognise_email,
    recognise_iban,
    recognise_card,
    recognise_ssn,
    recognise_national_id,
    recognise_ip,
    recognise_phone,
)


def detect(text: str, types: Iterable[str] | None = None) -> list[Span]:
    """The entities in ``text`` (of ``types``, default all), non-overlapping, in text order."""
    wanted = set(TYPES if types is None else types)
    if not text:
        return []
    taken: list[Span] = []
    for recognise in RECOGNISERS:
        for span in recognise(text):
            if not any(span.overlaps(t) for t in taken):
                taken.append(span)
    return sorted(s for s in taken if s.type in wanted)
