"""Does an answer repeat the system prompt it ran with? Word n-gram overlap, with the spans to redact.

The agent's rendered system prompt (``AgentExecutor.run``) is split into word 5-grams; an answer
leaks when a share of its own 5-grams (or, for a long prompt, enough of the prompt) appears there.
Common phrasing shares the odd 5-gram with any prompt; a leak repeats runs of them. The spans of
the answer covered by shared 5-grams are what a redaction removes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

N = 5
#: Share of the answer's n-grams found in the prompt, or share of the prompt's found in the answer,
#: at which the answer counts as leaking it.
ANSWER_SHARE = 0.3
PROMPT_SHARE = 0.2
#: Shared n-grams needed at least (a short answer quoting one phrase of the prompt is not a leak).
MIN_SHARED = 3
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PromptLeak:
    answer_share: float
    prompt_share: float
    shared: int
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def overlap(self) -> float:
        return max(self.answer_share, self.prompt_share)

    @property
    def leaked(self) -> bool:
        return self.shared >= MIN_SHARED and (self.answer_share >= ANSWER_SHARE or self.prompt_share >= PROMPT_SHARE)


def _grams(words: list[str]) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + N]) for i in range(len(words) - N + 1)]


def prompt_leak(answer: str, system_prompt: str | None) -> PromptLeak:
    """How much of ``system_prompt`` the answer repeats (0 with no prompt) and where."""
    if not system_prompt or not answer:
        return PromptLeak(0.0, 0.0, 0)
    prompt_grams = set(_grams([w.lower() for w in _WORD.findall(system_prompt)]))
    tokens = list(_WORD.finditer(answer))
    answer_grams = _grams([t.group(0).lower() for t in tokens])
    if not prompt_grams or not answer_grams:
        return PromptLeak(0.0, 0.0, 0)
    hit = [i for i, g in enumerate(answer_grams) if g in prompt_grams]
    shared = len({answer_grams[i] for i in hit})
    spans: list[tuple[int, int]] = []
    for i in hit:
        start, end = tokens[i].start(), tokens[i + N - 1].end()
        if spans and start <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return PromptLeak(round(len(hit) / len(answer_grams), 4), round(shared / len(prompt_grams), 4), shared, spans)
