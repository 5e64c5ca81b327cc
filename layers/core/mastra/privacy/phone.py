"""Phone numbers: the hard case. Candidates by shape, validated by libphonenumber, judged in context.

Plain regexes find every digit run with separators (dates, order numbers, amounts, zip codes) and
miss national formats; libphonenumber alone (``PhoneNumberMatcher`` with ``Leniency.VALID``)
rejects the many real-looking numbers whose area codes are unassigned. So:

1. a candidate is a run of digit groups with phone separators (``+``, parentheses, spaces, dots,
   dashes, slashes) and an optional extension (``x123``, ``ext. 12``);
2. libphonenumber parses it as international (``+cc``/``00cc``) or in each of ``REGIONS`` and says
   whether it is a *valid* or only a *possible* (right length) number; a candidate that fails whole
   is retried without its last or first group ("... 0958 24 hours");
3. the decision weighs the shape and the words before it: a valid number with separators passes;
   a possible one needs a phone shape (``(212) 555-0101``, ``212.555.0101``) or a phone word
   (call, tel, mobile ...); bare digits need a phone word or a trunk prefix (``07700900123``);
   anything after an order/invoice/account/zip word, or shaped like a date, a year range, a time,
   an amount or an SSN (3-2-4) is not a phone number.

Uses ``phonenumberslite`` (libphonenumber's metadata without the 40 MB geocoder and carrier data).
"""

from __future__ import annotations

import re
from functools import lru_cache

from mastra.privacy.checks import digits
from mastra.privacy.entities import PHONE, Span

#: Regions whose national formats are tried for a number without a country code.
REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "ES", "IT", "NL", "MX", "CN")

_GROUP = r"\(?\d{1,12}\)?"
_SEP = r"(?:[ \u00a0]?[.\-/\u2013][ \u00a0]?|[ \u00a0]|(?<=\))|(?=\())"
_CANDIDATE = re.compile(
    r"(?<![\w@/+.,$€£¥#-])"
    rf"(?P<num>(?:\+|\b00)?[ \u00a0]?{_GROUP}(?:{_SEP}{_GROUP}){{0,7}})"
    r"(?P<ext>[ \u00a0]*(?:,|;)?[ \u00a0]*(?:x|ext\.?|extn\.?|extension|#)[ \u00a0]*\d{1,6})?"
    r"(?![\w@]|[.,:]\d|[-/]\w)",  # not followed by more of a number, a time's ":mm" or an ISBN's "-X"
    re.ASCII,  # "電話番号は03-3456-7890です": CJK letters are word characters, but not part of the number
)
_PHONE_WORDS = re.compile(
    r"(?i)(?:\b(?:call(?:ed|ing)?|phone|ph|tel|telephone|telefon|téléphone|tél|mobile|mob|cell|cellphone|fax|"
    r"whats ?app|sms|text(?:ed)? (?:me|us|him|her)|contact|reach|dial(?:led)?|ring|hotline|helpline|landline|"
    r"numbers?|numéro|nummer|handy|celular|telefone|móvil|movil|reach (?:me|us) at|line|voicemail|"
    r"answer(?:ed|s)?)\b(?!\s+(?:counts?|stack|rates?|volume|duration|logs?|ids?|sites?|graph|depth)\b)|☎|📞)"
)
_NOT_PHONE_WORDS = re.compile(
    r"(?i)\b(?:order|invoice|inv|ref|reference|account|acct|a/c|iban|id|tracking|zip|postal|postcode|"
    r"po box|serial|isbn|sku|ticket|case|transaction|txn|confirmation|booking|policy|member|membership|customer|"
    r"card|ssn|routing|ean|upc|gtin|imei|barcode|sort code|part|model|version|build|patent|batch|lot|claim|receipt|"
    r"pin|otp|code|"
    r"no\.? of|total|amount|price|cost|balance|usd|eur|gbp|salary|population|page|pages|vol|isin)"
    r"(?:\s*(?:number|no\.?|nr\.?|num|#|id|code))?(?:\s+(?:is|was|of|:))?\W{0,4}$"
)
_DATE = re.compile(
    r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|(?:19|20)\d\d\s?[-/–]\s?(?:19|20)?\d\d|\d{1,2}:\d\d|\d{3}-\d{2}-\d{4}"
    r"|\d{5}-\d{4}"  # a US ZIP+4
)
#: A date stamp (yyyymmdd) leading a dotted or dashed number: a build or release number ("20240315.1423").
_STAMP = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[.\-_]\d+)+")
#: Grouped like a payment card (Amex and Diners 4-6-5 / 4-6-4, or four groups of four): never a phone number.
_CARD_SHAPE = re.compile(r"\d{4}([ \-])\d{6}\1\d{4,5}|\d{4}([ \-])\d{4}\2\d{4}\2\d{1,4}")
_ISO_DATE = re.compile(r"(?:1[89]|2\d)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b")
#: North American and similar phone shapes: a possible number written like this is a phone number.
_PHONE_SHAPE = re.compile(
    r"(?:\+?1[ .-]?)?\(\d{3}\) ?\d{3}[ .-]?\d{4}|(?:\+?1[ .-])?\d{3}([.-])\d{3}\1\d{4}|(?:\+?1 )?\d{3} \d{3} \d{4}"
    r"|0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}|\(0\d{1,4}\) ?\d{3,4}[ -]?\d{3,4}"
)


@lru_cache(maxsize=4096)
def _judge(number: str) -> tuple[bool, bool]:
    """``(valid, possible)`` for ``number`` as written (international, else in any of ``REGIONS``)."""
    import phonenumbers

    text = "+" + number[2:].lstrip() if number.startswith("00") else number
    regions: tuple[str | None, ...] = (None,) if text.startswith("+") else REGIONS
    possible = False
    for region in regions:
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True, True
        possible = possible or phonenumbers.is_possible_number(parsed)
    return False, possible


def _accept(text: str, start: int, number: str) -> bool:
    """Whether ``number``, a candidate (or part of one) starting at ``start``, is a phone number."""
    before = text[max(0, start - 40) : start]
    n = len(digits(number))
    if not 7 <= n <= 15:
        return False
    if (
        _DATE.fullmatch(number.strip())
        or _ISO_DATE.match(number)
        or _STAMP.fullmatch(number)
        or re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+\.\d{1,2}", number)
    ):
        return False
    if re.search(r"[ .\-/]\d$", number):
        return False  # no phone number ends in a one-digit group: an ISBN's or a reference's check digit
    if _IBAN_HEAD.search(before):
        return False
    after = text[start + len(number) : start + len(number) + 40]
    spoken = bool(_PHONE_WORDS.search(before) or _PHONE_WORDS.search(after))
    international = number.startswith(("+", "00"))
    separated = bool(re.search(r"[ \u00a0.\-/()]", number.strip()))
    valid, possible = _judge(number)
    # "Delivery contact for the order: +91 98765 43210": a valid number with its "+" country code after
    # a phone word (before the order word, not its "number") is the contact's number, not the order's.
    negative = _NOT_PHONE_WORDS.search(before)
    if negative and not (number.startswith("+") and valid and _PHONE_WORDS.search(before[: negative.start()])):
        return False
    if not possible:
        return False
    if international:  # "+" and a country code: a phone number if its length is right for that country
        return True
    if not separated:  # bare digits: a phone word, or a trunk-prefixed valid national number
        return spoken or (valid and number.startswith("0") and n >= 10)
    if valid:
        # A short valid local number ("12 34 56") is too easily something else without a phone word.
        return n >= 9 or spoken
    return spoken or bool(_PHONE_SHAPE.fullmatch(number.strip()))


#: The start of a space-grouped IBAN ("GB82 WEST "): the digit groups after it are not a phone number.
_IBAN_HEAD = re.compile(r"\b[A-Z]{2}\d{2}(?: [A-Z0-9]{4})* $")
_SPLIT = re.compile(r"(?:[ \u00a0]?[.\-/\u2013][ \u00a0]?|[ \u00a0])")


def recognise_phone(text: str) -> list[Span]:
    found = []
    for m in _CANDIDATE.finditer(text):
        number = m.group("num").rstrip()
        start = m.start("num") + (len(m.group("num")) - len(m.group("num").lstrip()))
        number = number.strip()
        ext = m.group("ext")
        while number.endswith(")") and number.count(")") > number.count("("):
            number, ext = number[:-1].rstrip(), None  # "Name (+49 151 23456789)": the ")" is the text's
        while number.startswith("(") and number.count("(") > number.count(")"):
            number, start = number[1:], start + 1  # "(1-800-555-0199 ext. 42)": so is this "("
        if len(digits(number)) > 15 or _CARD_SHAPE.fullmatch(number):
            continue  # longer than any phone number: a card, account or tracking number (no part of it either)
        # The whole candidate, then without trailing groups ("0958 24 hours"), then without a leading one.
        # Only at spaces: groups joined by a dash or dot are one token ("1-64737-828-1", an ISBN).
        spaces = [g for g in _SPLIT.finditer(number) if not g.group(0).strip()]
        cuts = [(0, len(number))] + [(0, g.start()) for g in reversed(spaces)]
        first = _SPLIT.search(number)
        if first is not None:
            cuts.append((first.end(), len(number)))
        for a, b in cuts:
            piece = number[a:b]
            if piece.count("(") != piece.count(")"):
                continue
            if a and number[a - 1] not in " \u00a0":
                continue  # "978-3-16-...": a part of a dashed number is not a number of its own
            if _accept(text, start, piece):
                end = start + b
                if b == len(number) and ext:
                    end = m.end("ext")
                found.append(Span(start + a, end, PHONE))
                break
    return found
