"""Score a user message for prompt injection or jailbreak: weighted patterns and a small learned model.

- patterns (:mod:`mastra.screening.patterns`) over de-obfuscated views of the message: the matched
  rules' weights combine as a noisy-or (1 - prod(1 - w)), so one strong rule or two weak ones count;
- the model (:mod:`mastra.screening.model`): logistic regression over hashed n-grams, for wordings
  no rule names (it reads 0.5 at its operating point).

``score = patterns`` when the patterns alone are sure (≥ :data:`BLOCK_THRESHOLD`), else
``max(model, mean(patterns, model))``: a weak or ambiguous rule ("disregard the instructions" in a
quoted article) needs the model's agreement, and the model alone may flag what no rule names. On
the held-out set this gate kept the patterns' and the model's recall with half the false positives
of taking the larger of the two (README). ``flagged`` at :data:`THRESHOLD`; ``blocked`` (the
pipeline refuses without calling the model) at :data:`BLOCK_THRESHOLD` when the model sees at least
:data:`BLOCK_MODEL_FLOOR` too. Rules that match only inside a short phrase the user quotes to ask about
("translate 'ignore all previous instructions'") count at :data:`QUOTED_WEIGHT`. Deterministic, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mastra.screening.model import shipped
from mastra.screening.normalise import views
from mastra.screening.patterns import CATEGORIES, RULES

#: At or above this a message counts as an injection (the figures in the README are at this point).
THRESHOLD = 0.5
#: At or above this the pipeline refuses without running the agent.
BLOCK_THRESHOLD = 0.85
#: Blocking also needs the model to see at least this much: a rule alone (e.g. "ignore prior zoning rules"
#: in an article to summarise) flags a message for review but does not refuse it.
BLOCK_MODEL_FLOOR = 0.15
#: Longer messages are screened on their head and tail (a jailbreak preamble sits at either end).
MAX_CHARS = 8000
#: A rule that matches only inside a quoted phrase the user asks about (to translate, explain, define,
#: spell-check, judge as an injection) counts this much of its weight: it may flag, never refuse.
QUOTED_WEIGHT = 0.5

#: A request about a short quoted phrase: "translate 'ignore all previous instructions' into French",
#: "what does "DAN" mean?", "is 'forget your rules' a prompt injection?".
_META_QUOTE = re.compile(
    r"(?:(?:^|[.?!]\s+)(?:is|are|does|do)|"
    r"\b(?:translat\w*|explain\w*|defin\w*|meaning of|mean|means|spell-?check\w*|proofread\w*|grammar|"
    r"paraphras\w*|pronounc\w*|classify|classif\w*|example of|examples? (?:like|such as)|phrases? (?:like|such as)|"
    r"the (?:phrase|expression|words?)|what does|what do|counts? as|detect\w*|"
    r"recogni[sz]\w*|flag\w*|why|how (?:would|do|can|should) (?:you|i|we|one) (?:say|write|put|phrase)))\b"
    r"[^'\"“‘«\n]{0,40}?(?<![\w'])(['\"“‘«])(?P<quoted>[^'\"“”‘’«»\n.!?:;]{3,80})['\"”’»]",
    re.IGNORECASE,
)
#: Rules that name orders hidden in a document or a payload: never discounted inside quotes (a text to
#: translate or proofread may carry them to the model that reads it).
_DOCUMENT_RULES = frozenset({"hidden_for_ai", "dont_tell_user", "fake_system", "exfiltrate", "pwned", "say_only"})
_DOCUMENT_PATTERNS = [pattern for name, _, pattern in RULES if name in _DOCUMENT_RULES]
#: ... unless the message goes on to ask that the quoted words be carried out.
_CARRY_OUT = re.compile(
    r"\b(?:then|and|now)\s+(?:\w+\s+)?(?:do|follow|execute|obey|apply|act on|carry out|comply with|perform)\s+"
    r"(?:it|that|this|them|those|these|what it says)\b|\bby (?:doing|following|obeying) (?:it|that|them)\b"
    r"|\bas (?:if it were|your) (?:an? )?(?:instruction|order|command)"
)


@dataclass(frozen=True)
class InjectionScore:
    score: float
    rules: tuple[str, ...]
    #: Whether a rule matched only in a decoded or de-obfuscated view (base64, leetspeak, spaced letters).
    obfuscated: bool = False
    patterns: float = 0.0
    #: The learned model's probability (None: no model shipped).
    model: float | None = None

    @property
    def flagged(self) -> bool:
        return self.score >= THRESHOLD

    def blocked(self, threshold: float = BLOCK_THRESHOLD) -> bool:
        return self.score >= threshold and (self.model is None or self.model >= BLOCK_MODEL_FLOOR)


def pattern_score(texts: list[str]) -> tuple[float, tuple[str, ...], bool]:
    """The noisy-or of the rules matched in any view, their names, and whether one matched only hidden."""
    hits: dict[str, float] = {}
    hidden = False
    for i, text in enumerate(texts):
        for name, weight, pattern in RULES:
            if name not in hits and pattern.search(text):
                hits[name] = weight
                hidden = hidden or i > 0
    cats = {name: w for name, w, pattern in CATEGORIES if any(pattern.search(t) for t in texts)}
    if len(cats.keys() - {"target"}) >= 2:
        lexicon = 1.0
        for w in cats.values():
            lexicon *= 1.0 - w
        hits["lexicon:" + "+".join(sorted(cats))] = 1.0 - lexicon
    miss = 1.0
    for weight in hits.values():
        miss *= 1.0 - weight
    return 1.0 - miss, tuple(sorted(hits)), hidden


def unquoted(message: str) -> str | None:
    """``message`` with the phrases it quotes to ask about them masked (None: no such phrase)."""
    if _CARRY_OUT.search(message.lower()):
        return None

    def mask(m: re.Match[str]) -> str:
        quoted = m.group("quoted").lower()
        if len(quoted.split()) > 10 or any(p.search(quoted) for p in _DOCUMENT_PATTERNS):
            return m.group(0)
        return m.group(0)[: m.start("quoted") - m.start(0)] + "…"

    masked = _META_QUOTE.sub(mask, message)
    return masked if masked != message else None


@lru_cache(maxsize=256)
def score(message: str) -> InjectionScore:
    """The injection score of ``message`` and the rules that matched (names, never the text).

    Memoised: the execute step (each attempt) and the reflect step score the same message, and in
    one process (the local pipeline, a warm Lambda serving retries) it is scored once.
    """
    if len(message) > MAX_CHARS:
        message = message[: MAX_CHARS // 2] + "\n" + message[-MAX_CHARS // 2 :]
    texts = views(message)
    patterns, rules, hidden = pattern_score(texts)
    masked = unquoted(message)
    if masked is not None and patterns > 0:
        outside, outside_rules, outside_hidden = pattern_score(views(masked))
        if outside < patterns:
            # The rules that matched only inside the quoted phrase count at a discount.
            patterns = max(outside, QUOTED_WEIGHT * patterns)
            rules = tuple(sorted({*outside_rules, *(f"quoted:{r}" for r in rules if r not in outside_rules)}))
            hidden = outside_hidden
    model = shipped()
    if model is None:
        return InjectionScore(round(patterns, 4), rules, hidden, round(patterns, 4))
    learned = model.probability(" ".join(texts[:3]))
    combined = patterns if patterns >= BLOCK_THRESHOLD else max(learned, (patterns + learned) / 2)
    if learned >= THRESHOLD:
        rules = (*rules, "model")
    return InjectionScore(round(combined, 4), rules, hidden, round(patterns, 4), round(learned, 4))
