"""Score a user message for prompt injection or jailbreak: weighted patterns over de-obfuscated views.

``score`` combines the matched rules' weights as a noisy-or (1 - prod(1 - w)), so one strong rule
or two weak ones pass :data:`THRESHOLD`; ``blocked`` (``score >= BLOCK_THRESHOLD``) is the
high-confidence case the pipeline refuses without calling the model. Deterministic, no I/O; a
message costs tens of microseconds per view (see ``benchmarks/``-free figure in the README).
"""

from __future__ import annotations

from dataclasses import dataclass

from mastra.screening.normalise import views
from mastra.screening.patterns import CATEGORIES, RULES

#: At or above this a message counts as an injection (the figures in the README are at this point).
THRESHOLD = 0.5
#: At or above this the pipeline refuses without running the agent.
BLOCK_THRESHOLD = 0.85
#: Longer messages are screened on their head and tail (a jailbreak preamble sits at either end).
MAX_CHARS = 8000


@dataclass(frozen=True)
class InjectionScore:
    score: float
    rules: tuple[str, ...]
    #: Whether a rule matched only in a decoded or de-obfuscated view (base64, leetspeak, spaced letters).
    obfuscated: bool = False

    @property
    def flagged(self) -> bool:
        return self.score >= THRESHOLD

    def blocked(self, threshold: float = BLOCK_THRESHOLD) -> bool:
        return self.score >= threshold


def score(message: str) -> InjectionScore:
    """The injection score of ``message`` and the rules that matched (names, never the text)."""
    if len(message) > MAX_CHARS:
        message = message[: MAX_CHARS // 2] + "\n" + message[-MAX_CHARS // 2 :]
    texts = views(message)
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
    return InjectionScore(round(1.0 - miss, 4), tuple(sorted(hits)), hidden)
