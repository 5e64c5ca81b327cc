"""Screening: prompt injection and jailbreak on the way in; a leaked system prompt or secrets on the way out.

:func:`screen_input` scores a user message (:mod:`mastra.screening.injection`); :func:`screen_output`
checks an answer against the system prompt it ran with and for secrets. Both are pure,
deterministic and fast (microseconds): the pipeline runs them on every request, and reflection
turns them into signals that block or repair an answer (:mod:`mastra.reflection.screening`).
"""

from mastra.screening.injection import BLOCK_THRESHOLD, THRESHOLD, InjectionScore, score
from mastra.screening.leak import PromptLeak, prompt_leak
from mastra.screening.models import OutputScreen, screen_input, screen_output
from mastra.screening.secrets import Secret, find_secrets

__all__ = [
    "BLOCK_THRESHOLD",
    "THRESHOLD",
    "InjectionScore",
    "OutputScreen",
    "PromptLeak",
    "Secret",
    "find_secrets",
    "prompt_leak",
    "score",
    "screen_input",
    "screen_output",
]
