"""What the screens record on an attempt (kinds, scores and spans; never the text they matched).

A leaf module: ``mastra.models`` imports it, and every process imports those (the detectors are in
:mod:`mastra.screening.screens`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class OutputScreen(BaseModel):
    """The output screen of one answer: a system-prompt leak and secrets, with the spans to redact."""

    prompt_overlap: float = Field(0.0, description="Share of the answer's (or prompt's) word 5-grams shared.")
    findings: list[str] = Field(default_factory=list, description="'system_prompt' and secret kinds found.")
    spans: list[tuple[int, int]] = Field(default_factory=list, description="Character spans of the leaks.")

    @property
    def leaked(self) -> bool:
        return bool(self.findings)
