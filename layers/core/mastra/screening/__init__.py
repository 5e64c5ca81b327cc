"""Screening: prompt injection and jailbreak on the way in; a leaked system prompt or secrets on the way out.

:func:`screen_input` scores a user message (:mod:`mastra.screening.injection`); :func:`screen_output`
checks an answer against the system prompt it ran with and for secrets. Both are pure,
deterministic and fast (microseconds): the pipeline runs them on every request, and reflection
turns them into signals that block or repair an answer (:mod:`mastra.reflection.screening`).

Exports are lazy: ``mastra.models`` imports :class:`OutputScreen`, and the CLI and every function
must not pay for compiling the rules and loading the model on import.
"""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports

if TYPE_CHECKING:
    from mastra.screening.injection import BLOCK_THRESHOLD, THRESHOLD, InjectionScore, score
    from mastra.screening.leak import PromptLeak, prompt_leak
    from mastra.screening.models import OutputScreen
    from mastra.screening.screens import screen_input, screen_output
    from mastra.screening.secrets import Secret, find_secrets

__getattr__ = lazy_exports(
    __name__,
    {
        "BLOCK_THRESHOLD": "mastra.screening.injection",
        "THRESHOLD": "mastra.screening.injection",
        "InjectionScore": "mastra.screening.injection",
        "score": "mastra.screening.injection",
        "PromptLeak": "mastra.screening.leak",
        "prompt_leak": "mastra.screening.leak",
        "OutputScreen": "mastra.screening.models",
        "screen_input": "mastra.screening.screens",
        "screen_output": "mastra.screening.screens",
        "Secret": "mastra.screening.secrets",
        "find_secrets": "mastra.screening.secrets",
    },
)

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
