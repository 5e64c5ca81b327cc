"""Checksums and format rules that tell a real identifier from a number that only looks like one."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D")


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


def luhn(number: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    total, parity = 0, len(number) % 2
    for i, ch in enumerate(number):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def card_prefix(number: str) -> bool:
    """Issuer prefixes (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro) and their lengths."""
    n = len(number)
    if number[0] == "4":
        return n in (13, 16, 19)
    if number[:2] in ("34", "37"):
        return n == 15
    if number[:2] in ("51", "52", "53", "54", "55") or 2221 <= int(number[:4]) <= 2720:
        return n == 16
    if number[:2] in ("30", "36", "38", "39"):
        return 14 <= n <= 19
    if number[:2] == "35":
        return 16 <= n <= 19
    if number[:4] in ("2131", "1800"):  # JCB's older 15-digit ranges
        return n == 15
    if number[:4] in ("0604", "6390"):  # Maestro's odd ranges
        return 12 <= n <= 19
    return number[0] in "56" and 12 <= n <= 19  # Discover, UnionPay, Maestro


#: Numbers the SSA never issued but that circulate widely (a wallet insert, advertising).
_SSN_VOID = {"078051120", "219099999", "457555462"}


def ssn(number: str) -> bool:
    """US Social Security number rules: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    if len(number) != 9 or number in _SSN_VOID or len(set(number)) == 1:
        return False
    area, group, serial = number[:3], number[3:5], number[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


_NINO = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]")
_NINO_VOID_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def nino(text: str) -> bool:
    """UK National Insurance number: HMRC's prefix rules (no D, F, I, Q, U, V; O not second) and suffix A-D."""
    value = re.sub(r"\s", "", text).upper()
    return bool(_NINO.fullmatch(value)) and value[:2] not in _NINO_VOID_PREFIX
