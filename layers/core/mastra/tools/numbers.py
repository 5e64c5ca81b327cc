"""Reading numbers written as digits or simple English words, for the offline extractors."""

from __future__ import annotations

import re

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
)
_UNITS = {w: i for i, w in enumerate(_ONES.split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_EXTRA = {"a": 1, "an": 1, "half": 0.5, "dozen": 12}
NUMBER_WORD = re.compile(r"\b(?:(?:" + "|".join([*_UNITS, *_TENS, *_SCALES]) + r")(?:[\s-]+(?:and\s+)?)?)+\b")


def words_to_number(phrase: str) -> float | None:
    """``"twenty five"`` -> 25, ``"three hundred and two"`` -> 302; None if not a number phrase."""
    total, current = 0.0, 0.0
    seen = False
    for w in re.split(r"[\s-]+", phrase.strip().lower()):
        if w == "and" or not w:
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            scale = _SCALES[w]
            current = (current or 1) * scale
            if scale >= 1000:
                total, current = total + current, 0.0
        else:
            return None
        seen = True
    return total + current if seen else None


def replace_number_words(text: str) -> str:
    """Rewrite number words as digits: ``"five times six"`` -> ``"5 times 6"``."""

    def sub(m: re.Match[str]) -> str:
        value = words_to_number(m.group(0))
        if value is None:
            return m.group(0)
        trailing = " " if m.group(0).endswith((" ", "-")) else ""
        return f"{value:g}{trailing}"

    return NUMBER_WORD.sub(sub, text)


def parse_number(token: str) -> float | None:
    token = token.replace(",", "").strip()
    if token in _EXTRA:
        return float(_EXTRA[token])
    try:
        return float(token)
    except ValueError:
        value = words_to_number(token)
        return None if value is None else float(value)


def fmt(value: float) -> str:
    """A readable number: integers exactly, others to 6 significant digits."""
    if isinstance(value, int):
        return f"{value:,}"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) >= 1e-4 else f"{value:.4g}"
