"""The screens the pipeline runs: the input's injection score, the output's leaks, and their redaction."""

from __future__ import annotations

from mastra.screening.injection import InjectionScore, score
from mastra.screening.leak import prompt_leak
from mastra.screening.models import OutputScreen
from mastra.screening.secrets import find_secrets


def screen_input(message: str) -> InjectionScore:
    """The injection score of a user message."""
    return score(message)


def screen_output(answer: str, system_prompt: str | None, message: str = "") -> OutputScreen:
    """``answer``'s leaks: the system prompt it ran with, and secrets the user's ``message`` did not hold."""
    leak = prompt_leak(answer, system_prompt)
    findings: list[str] = []
    spans: list[tuple[int, int]] = []
    if leak.leaked:
        findings.append("system_prompt")
        spans += leak.spans
    for secret in find_secrets(answer):
        if answer[secret.start : secret.end] in message:  # the user's own, said back to them
            continue
        if secret.kind not in findings:
            findings.append(secret.kind)
        spans.append((secret.start, secret.end))
    return OutputScreen(prompt_overlap=leak.overlap, findings=findings, spans=_merge(spans))


def redact_output(answer: str, screen: OutputScreen) -> str:
    """``answer`` with each leaked span replaced; mostly leak (over half) becomes one refusal sentence."""
    if not screen.spans:
        return answer
    leaked = sum(e - s for s, e in screen.spans)
    if leaked > len(answer.strip()) / 2:
        return REDACTED_ANSWER
    out, last = [], 0
    for start, end in screen.spans:
        out += [answer[last:start], "[redacted]"]
        last = end
    out.append(answer[last:])
    return "".join(out).strip()


REDACTED_ANSWER = "I can't share my internal instructions or any credentials. How else can I help?"


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out
