"""Views of a message that undo the usual obfuscations, so one set of patterns sees through them.

An attacker hides "ignore previous instructions" as leetspeak (``1gn0r3``), spaced or dotted letters
(``i g n o r e``), zero-width characters, full-width letters, base64, hex or rot13. Each view is
cheap (a few regex passes) and deterministic; the screen matches its patterns on every view.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
#: A word with a letter and a leet digit or symbol in it (plain numbers stay numbers).
_LEET_WORD = re.compile(r"\b(?=\w*[a-z])[a-z0-9@$!]*[0134579@$!][a-z0-9@$!]*")
#: Three or more single letters joined by the same separator: "i g n o r e", "i-g-n-o-r-e", "i.g.n.o".
_SPACED = re.compile(r"(?<![\w])[^\W\d_](?P<sep>[ .\-_*|/])(?:[^\W\d_](?P=sep)){1,}[^\W\d_](?![\w])")
_B64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}){8,}\b")
_ROT13_HINT = re.compile(r"\brot[- ]?13\b", re.IGNORECASE)


def _nfkc(text: str) -> str:
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).lower()


def basic(text: str) -> str:
    """NFKC (full-width and styled letters to plain), no invisible characters, lower case, one space."""
    return " ".join(_nfkc(text).split())


def deleet(text: str, one: str = "i") -> str:
    """``1gn0r3 4ll`` -> ``ignore all`` (in words that mix letters with leet digits; ``1`` reads as ``one``)."""
    table = _LEET if one == "i" else {**_LEET, ord("1"): one}
    return _LEET_WORD.sub(lambda m: m.group(0).translate(table), text)


def despace(text: str) -> str:
    """``i g n o r e   a l l`` -> ``ignore all`` (a wider gap or another separator separates words)."""
    return " ".join(_SPACED.sub(lambda m: m.group(0).replace(m.group("sep"), ""), text).split())


def _printable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    letters = sum(c.isalpha() or c.isspace() for c in text)
    return text if text and letters / len(text) > 0.85 and " " in text else None


def decoded(text: str) -> list[str]:
    """Text hidden as base64 or hex in ``text``, and its rot13 reading when the message names rot13."""
    out = []
    for m in _B64.finditer(text):
        chunk = m.group(0)
        try:
            raw = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        plain = _printable(raw)
        if plain:
            out.append(plain)
    for m in _HEX.finditer(text):
        plain = _printable(bytes.fromhex(m.group(0)))
        if plain:
            out.append(plain)
    if _ROT13_HINT.search(text):
        out.append(codecs.decode(text, "rot13"))
    return out


def views(text: str) -> list[str]:
    """The normalised message and each de-obfuscated reading of it that differs (first: the plain one)."""
    plain = basic(text)
    joined = despace(_nfkc(text))
    out = [plain]
    for view in (deleet(plain), deleet(plain, one="l"), joined, deleet(joined)):
        if view not in out:
            out.append(view)
    for hidden in decoded(text):
        view = basic(hidden)
        if view not in out:
            out.append(view)
    return out
