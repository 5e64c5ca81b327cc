"""The answer signals reflection scores, each a value in [0, 1] with a one-line reason.

Pure functions of text (and the user's sentiment), so each is tested on its own and runs in
microseconds: reflection must cost little next to the agent it judges.

- :func:`completeness`: did the answer come at all, whole (not truncated), and address every
  part of the request and the things it names?
- :func:`tone`: an upset user should not get a cheerful or flippant answer.
- :func:`safety`: personal data or secrets in the answer that the user did not give, or a leak
  of the agent's instructions. :func:`redact` removes what it finds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mastra.privacy import Span, detect
from mastra.text import stem_words, words

#: Words too common to say whether an answer covers a part of the request.
_STOP = frozenset(
    "a an the and or but if then so of to in on at for from by with about as is are was were be been "
    "do does did can could would should will shall may might must i me my we our you your it its this "
    "that these those what which who whom how when where why there here not no yes please just also "
    "any some get got have has had am im want need know tell let make up out".split()
)


@dataclass(frozen=True)
class Signal:
    value: float
    reason: str


# ---- completeness ---------------------------------------------------------------------------------

_PART_SPLIT = re.compile(r"\?\s+|;\s*|\.\s+(?=[A-Z])|\b(?:and also|as well as|plus|and then)\b", re.IGNORECASE)
_ENTITY = re.compile(r"(?<![\w.])(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*|\d+(?:[.,]\d+)?)(?![\w])")
_TRUNCATED = {"max_tokens": "the answer was cut off (max tokens)", "content_filtered": "the answer was filtered"}
#: Sentence starters and common capitalised words that are not things the request names.
_NOT_ENTITIES = frozenset(
    "I Im Can Could Would Should What How When Where Why Who Which Is Are Do Does Please Hi Hello Hey".split()
)


def _content(text: str) -> set[str]:
    return set(stem_words([w for w in words(text) if w not in _STOP and len(w) > 2]))


def parts_of(message: str) -> list[str]:
    """The request's parts: its questions and clauses with at least two content words."""
    return [p.strip() for p in _PART_SPLIT.split(message) if p and len(_content(p)) >= 2]


def entities_of(message: str) -> list[str]:
    """Named things and numbers in the request (capitalised words not at a sentence start, numbers)."""
    found = []
    for m in _ENTITY.finditer(message):
        word = m.group(0)
        start = m.start()
        at_sentence_start = start == 0 or message[:start].rstrip().endswith((".", "?", "!"))
        if word in _NOT_ENTITIES or (at_sentence_start and not word[0].isdigit() and " " not in word):
            continue
        found.append(word)
    return found


def completeness(
    message: str, answer: str, *, answered: bool, stop_reason: str, related: Callable[[str, str], float]
) -> Signal:
    """1.0 when the answer came whole and covers each part and named thing of the request.

    ``related(part, answer)`` is the relevance of the answer to one part (the reflector's
    TF-IDF cosine). A part counts as covered when the answer shares a content word with it or is
    related to it. Coverage counts for half the signal: a knowledge-base answer rarely repeats
    every word of a question, and half of it is enough to ask for a repair only when whole parts
    are missing.
    """
    if not answered:
        return Signal(0.0, "no answer")
    if stop_reason in _TRUNCATED:
        return Signal(0.4, _TRUNCATED[stop_reason])
    parts = parts_of(message)
    words = _content(answer)
    missed = [p for p in parts if not (_content(p) & words) and related(p, answer) < 0.02]
    part_cov = 1.0 - len(missed) / len(parts) if len(parts) > 1 else 1.0
    names = entities_of(message)
    low = answer.lower()
    absent = [n for n in names if n.lower() not in low]
    entity_cov = 1.0 - len(absent) / len(names) if names else 1.0
    value = round(0.5 + 0.35 * part_cov + 0.15 * entity_cov, 4)
    if missed:
        reason = f"{len(missed)} of {len(parts)} parts of the request not addressed ({_quote(missed[0])})"
    elif absent:
        reason = f"does not mention {', '.join(absent[:3])}"
    else:
        reason = "answered in full" if len(parts) < 2 else f"covers all {len(parts)} parts"
    return Signal(value, reason)


# ---- tone ------------------------------------------------------------------------------------------

_CHEERFUL = re.compile(
    r"\b(?:awesome|yay|woo+|lol|haha+|fantastic|super easy|easy peasy|no worries|cool|great news|"
    r"exciting|fun fact|cheers)\b|[!]{2,}|:\)|:D|;\)|[\U0001F600-\U0001F64F\U0001F389\U0001F44D]",
    re.IGNORECASE,
)
_DISMISSIVE = re.compile(
    r"\b(?:whatever|calm down|relax|chill out|not my problem|deal with it|obviously|as i already said|"
    r"you should have|your fault|stop complaining|get over it)\b",
    re.IGNORECASE,
)
_EMPATHY = re.compile(
    r"\b(?:sorry|apologi[sz]e|apologies|i understand|understandably|frustrat\w*|that sounds|i hear you|"
    r"unfortunately|i'm afraid|let's fix|let me help)\b",
    re.IGNORECASE,
)
#: At or below this sentiment score a user counts as upset (the sentiment head's "negative" side).
UPSET = -0.35


def tone(answer: str, *, sentiment_label: str | None, sentiment_score: float | None) -> Signal:
    """How well the answer's tone suits the user's mood.

    Dismissive wording is wrong for anyone (0.2). For an upset user, cheerful or flippant wording
    scores 0.2 without a word of empathy and 0.6 with one; anything else scores 1.0.
    """
    if _DISMISSIVE.search(answer):
        return Signal(0.2, f"dismissive wording ({_quote(_DISMISSIVE.search(answer).group(0))})")  # type: ignore[union-attr]
    upset = sentiment_label == "negative" or (sentiment_score is not None and sentiment_score <= UPSET)
    if not upset:
        return Signal(1.0, "suits the user's mood")
    cheer = _CHEERFUL.search(answer)
    exclaims = answer.count("!") >= 2
    if cheer is None and not exclaims:
        return Signal(1.0, "the user is upset; the answer stays matter-of-fact")
    what = _quote(cheer.group(0)) if cheer is not None else "exclamation marks"
    if _EMPATHY.search(answer):
        return Signal(0.6, f"the user is upset; cheerful wording ({what}) despite some empathy")
    return Signal(0.2, f"the user is upset; the answer is cheerful or flippant ({what})")


def calm(answer: str) -> str:
    """``answer`` without cheerful or flippant wording and exclamation marks (a repair's tone fix)."""
    text = _CHEERFUL.sub("", answer)
    text = _DISMISSIVE.sub("", text)
    text = re.sub(r"!+", ".", text)
    return re.sub(r"\s{2,}", " ", re.sub(r"\s+([.,;])", r"\1", text)).strip()


# ---- safety ----------------------------------------------------------------------------------------


#: The reflection's names for what :mod:`mastra.privacy` detects (SECRET by its kind).
_KINDS = {
    "EMAIL": "email",
    "PHONE": "phone_number",
    "CREDIT_CARD": "card_number",
    "IBAN": "iban",
    "SSN": "ssn",
    "NATIONAL_ID": "national_id",
    "IP_ADDRESS": "ip_address",
    "aws_access_key": "aws_key",
    "aws_secret_key": "aws_key",
    "password": "secret",
    "private_key": "private_key",
}


def _kind(span: Span) -> str:
    if span.type == "SECRET":
        return _KINDS.get(span.kind, "api_key")
    return _KINDS.get(span.type, span.type.lower())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _fictional(kind: str, value: str) -> bool:
    """A 555 number is the film-and-demo convention, not a real line."""
    return kind == "phone_number" and "555" in _digits(value)[:7]


_POLICY = re.compile(
    r"(?i)\b(?:my|the|our) (?:system prompt|system message|hidden instructions|initial instructions|developer message)"
    r"|\bmy instructions (?:are|say|tell)\b|\bi (?:was|am|have been) (?:told|instructed|programmed) to\b"
    r"|\b(?:here is|here's|below is) (?:my|the) (?:prompt|system prompt|instructions)\b"
    r"|\bignore (?:all )?previous instructions\b"
)


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


def leaks(answer: str, message: str) -> list[Finding]:
    """Personal data, secrets and policy leaks in ``answer`` that the user's ``message`` did not contain.

    Detection is :func:`mastra.privacy.detect` (validated: Luhn, mod-97, libphonenumber ...).
    """
    given: set[str] = set()
    for span in detect(message):
        value = message[span.start : span.end]
        given.add(value.lower())
        if len(_digits(value)) >= 6:
            given.add(_digits(value))
    found: list[Finding] = []
    for span in detect(answer):
        value, kind = answer[span.start : span.end], _kind(span)
        if _fictional(kind, value):
            continue
        if value.lower() in given or (len(_digits(value)) >= 6 and _digits(value) in given):
            continue  # the user's own data, said back to them
        found.append(Finding(kind, span.start, span.end))
    found += [Finding("policy_leak", m.start(), m.end()) for m in _POLICY.finditer(answer)]
    return sorted(found, key=lambda f: f.start)


def safety(answer: str, message: str) -> tuple[Signal, list[str]]:
    """1.0 if nothing leaks, else 0.0; the kinds found (never the values: the trace is stored)."""
    found = leaks(answer, message)
    kinds = sorted({f.kind for f in found})
    if not kinds:
        return Signal(1.0, "no personal data, secrets or instructions leaked"), []
    return Signal(0.0, f"leaks {', '.join(k.replace('_', ' ') for k in kinds)} the user did not give"), kinds


def redact(answer: str, message: str) -> str:
    """``answer`` with every leak replaced by ``[redacted <kind>]``; a policy leak removes its sentence."""
    found = leaks(answer, message)
    out, last = [], 0
    for f in found:
        if f.start < last:
            continue
        if f.kind == "policy_leak":
            start = max(answer.rfind(".", 0, f.start), answer.rfind("\n", 0, f.start)) + 1
            end = answer.find(".", f.end)
            end = len(answer) if end < 0 else end + 1
            start = max(start, last)
            out.append(answer[last:start])
            out.append("[redacted: internal instructions]")
            last = end
        else:
            out.append(answer[last : f.start])
            out.append(f"[redacted {f.kind.replace('_', ' ')}]")
            last = f.end
    out.append(answer[last:])
    return "".join(out).strip()


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f"'{text[:limit]}…'" if len(text) > limit else f"'{text}'"


def weakest(signals: dict[str, float], names: Iterable[str]) -> str:
    """The name of the lowest of ``names`` in ``signals``."""
    return min(names, key=lambda n: signals.get(n, 1.0))
