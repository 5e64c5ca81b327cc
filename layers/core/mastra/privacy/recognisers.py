"""Pattern recognisers with validation: a regex proposes, a checksum or format rule disposes.

Each is ``recognise_<type>(text) -> list[Span]``. Presidio's pattern recognisers were the model
(regex + validation + context words), but presidio-analyzer imports spaCy (~1 s of import and a
model of 10+ MB we cannot install offline) on every cold start, so the few patterns live here and
validation uses python-stdnum (IBAN, national ids) and the standard library's ``ipaddress``.
"""

from __future__ import annotations

import ipaddress
import re

from mastra.privacy import checks
from mastra.privacy.entities import CREDIT_CARD, EMAIL, IBAN, IP_ADDRESS, NATIONAL_ID, SSN, Span


def near(text: str, start: int, end: int, words: re.Pattern[str], before: int = 40, after: int = 0) -> bool:
    """Whether ``words`` occurs within ``before`` characters before the span (or ``after`` after it)."""
    return bool(words.search(text[max(0, start - before) : start])) or bool(
        after and words.search(text[end : end + after])
    )


# ---- email -----------------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-]|:[\w~./])"  # not git@host:org/repo
)
#: A log-style key before the address ("user=ops@example.net", "'ops@example.net'"): "=" and quotes are
#: allowed in a local part, but here they belong to the text.
_EMAIL_KEY = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_.-]{0,30}=|['`{|/=]+)+(?=[A-Za-z0-9])")


def recognise_email(text: str) -> list[Span]:
    found = []
    for m in _EMAIL.finditer(text):
        key = _EMAIL_KEY.match(m.group(0))
        found.append(Span(m.start() + (key.end() if key else 0), m.end(), EMAIL))
    return found


# ---- payment cards -----------------------------------------------------------------------------------
# 12-19 digits in groups of 4 (or 4-6-5 for Amex) with one consistent separator, or unbroken.
_CARD = re.compile(
    r"(?<![\w.,-])(?:\d{4}([ -]?)(?:\d{4}\1){1,3}\d{1,4}|\d{4}([ -]?)\d{6}\2\d{4,5})(?![\w-]|[.,]\d)", re.ASCII
)


#: Luhn-checked numbers that are not cards: IMEIs, and barcodes a tenth of which pass Luhn by chance.
_NOT_CARD = re.compile(r"(?i)\b(?:imei|ean|upc|gtin|isbn|barcode|tracking)\b\W{0,3}(?:\w+\W{1,3}){0,2}$")


def recognise_card(text: str) -> list[Span]:
    found = []
    for m in _CARD.finditer(text):
        if _NOT_CARD.search(text[max(0, m.start() - 30) : m.start()]):
            continue
        number = checks.digits(m.group(0))
        if 12 <= len(number) <= 19 and checks.luhn(number) and checks.card_prefix(number) and len(set(number)) > 1:
            found.append(Span(m.start(), m.end(), CREDIT_CARD))
    return found


# ---- IBAN --------------------------------------------------------------------------------------------
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])", re.IGNORECASE)
_IBAN_GROUP = re.compile(r"[ -]")


def recognise_iban(text: str) -> list[Span]:
    from stdnum import iban

    found = []
    for m in _IBAN.finditer(text):
        raw = m.group(0)
        # A space-grouped match may have swallowed the next word ("... 32 ON"): try shorter ends.
        cuts = [len(raw)] + [g.start() for g in reversed(list(_IBAN_GROUP.finditer(raw)))]
        for cut in cuts:
            value = raw[:cut]
            # The country's length and format and the mod-97 check digits; not the national BBAN
            # checks (check_country): some reject IBANs banks really issue (BE68539007547034).
            # Lower case only unbroken and whole ("de89370400440532013000"), a word is never mod-97 valid.
            lower = value.islower() and value.isalnum()
            if (value[:2].isupper() or lower) and iban.is_valid(value.replace("-", ""), check_country=False):
                found.append(Span(m.start(), m.start() + cut, IBAN))
                break
    return found


# ---- US SSN ------------------------------------------------------------------------------------------
_SSN = re.compile(r"(?<![\w.,/-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\w-]|[.,/]\d)", re.ASCII)
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|ssns|social security|social sec|ss#|ss no|taxpayer|tin|itin)\b")


def recognise_ssn(text: str) -> list[Span]:
    found = []
    for m in _SSN.finditer(text):
        number = m.group(1) + m.group(3) + m.group(4)
        if not checks.ssn(number):
            continue
        # Nine bare digits are an SSN only when the text says so (else an account or order number).
        if not m.group(2) and not near(text, m.start(), m.end(), _SSN_CONTEXT, before=30):
            continue
        found.append(Span(m.start(), m.end(), SSN))
    return found


# ---- other national ids ------------------------------------------------------------------------------
_NINO = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d](?![A-Za-z0-9])")
_CPF = re.compile(r"(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d])")
_AADHAAR = re.compile(r"(?<![\d-])(?<!\d )[2-9]\d{3}([ -])\d{4}\1\d{4}(?![\d-]| \d)")
_DNI = re.compile(r"(?<![A-Za-z0-9])(?:\d{8}|[XYZ]\d{7})-?[A-Z](?![A-Za-z0-9])")
_CF = re.compile(r"(?<![A-Za-z0-9])[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z](?![A-Za-z0-9])")
_NIR = re.compile(r"(?<![\d])[12] ?\d{2} ?(?:0[1-9]|1[0-2]) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?!\d)")


def _stdnum(module: str, value: str) -> bool:
    import importlib

    return bool(importlib.import_module(f"stdnum.{module}").is_valid(value))


def recognise_national_id(text: str) -> list[Span]:
    """UK NINO, Brazilian CPF, Indian Aadhaar (Verhoeff), Spanish DNI/NIE, Italian codice fiscale, French NIR."""
    found = []
    for pattern, kind, valid in (
        (_NINO, "uk_nino", checks.nino),
        (_CPF, "br_cpf", lambda v: _stdnum("br.cpf", v)),
        (_AADHAAR, "in_aadhaar", lambda v: _stdnum("in_.aadhaar", v)),
        (_DNI, "es_dni", lambda v: _stdnum("es.dni", v) or _stdnum("es.nie", v)),
        (_CF, "it_codice_fiscale", lambda v: _stdnum("it.codicefiscale", v)),
        (_NIR, "fr_nir", lambda v: _stdnum("fr.nir", v)),
    ):
        for m in pattern.finditer(text):
            if valid(m.group(0)):
                found.append(Span(m.start(), m.end(), NATIONAL_ID, kind))
    return found


# ---- IP addresses ------------------------------------------------------------------------------------
_IPV4 = re.compile(r"(?<![\w.-])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w-]|\.\d)", re.ASCII)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:%\w+)?(?:/\d{1,3})?(?![\w:])",
    re.ASCII,
)
#: A dotted quad right after these is a version or build number, not an address.
_VERSION = re.compile(
    r"(?i)(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\bupdate|\bfirmware|\bpatch|\bsdk|\bapi|\bsoftware|\bdriver|"
    r"\bkernel|\bwindows|\bios|\bandroid|\bchrome|\bfirefox|\bpython|\bnode|\bjava|\bapp|\bpackage|"
    r"\bsections?|\bsec\.?|\bchapters?|\bch\.?|\bclauses?|\barticles?|\bart\.?|\bparagraphs?|\bpara\.?|\bparts?|"
    r"\bappendix|\bfigure|\bfig\.?|\bitem|\bstep|\brequirement|\breq\.?|\bstandard|\biso|\brfc|§)"
    r"\s*:?\s*$"
)


def recognise_ip(text: str) -> list[Span]:
    found = []
    for m in _IPV4.finditer(text):
        address = m.group(0).split("/")[0]
        try:
            ip4 = ipaddress.IPv4Address(address)
        except ValueError:
            continue
        if ip4.is_loopback or ip4.is_unspecified:
            continue  # 127.0.0.1, 0.0.0.0: every machine's own, nobody's personal data
        if _VERSION.search(text[max(0, m.start() - 20) : m.start()]):
            continue
        found.append(Span(m.start(), m.end(), IP_ADDRESS, "ipv4"))
    for m in _IPV6.finditer(text):
        value = m.group(0).rstrip(":") if not m.group(0).endswith("::") else m.group(0)
        address = value.split("/")[0].split("%")[0]
        if (
            address.count(":") < 2
            or not re.search(r"[0-9A-Fa-f]", address)
            or (re.fullmatch(r"[\d:]+", address) and "::" not in address)
        ):
            continue  # times (12:30:45) and bare colons
        try:
            ip6 = ipaddress.IPv6Address(address)
        except ValueError:
            continue
        if ip6.is_loopback or ip6.is_unspecified:
            continue
        found.append(Span(m.start(), m.start() + len(value), IP_ADDRESS, "ipv6"))
    return found
