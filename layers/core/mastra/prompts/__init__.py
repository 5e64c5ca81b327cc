"""The prompt registry: versioned, labelled Jinja2 templates rendered in a sandbox.

One package, one job per file: ``models`` (records), ``render`` (the sandbox and variable checks),
``store`` (the storage contract) with ``sqlite`` and ``dynamodb`` backends, ``registry`` (the
service: versions, labels, diffs, resolving ``id@label`` with a TTL cache and A/B splits),
``seed`` (prompt files) and ``cli`` (``mastra prompts ...``). Nothing here imports Jinja2 until a
template is checked or rendered.
"""

from __future__ import annotations

from typing import Any

from mastra.prompts.models import (
    BUILTIN_VARIABLES,
    Label,
    LabelMove,
    LabelTarget,
    PromptDiff,
    PromptDraft,
    PromptModelSettings,
    PromptSummary,
    PromptVersion,
    Split,
    Variable,
)
from mastra.prompts.registry import PromptChoice, PromptService, bucket, inline_choice, parse_ref
from mastra.prompts.store import PromptStore


def __getattr__(name: str) -> Any:
    # Backends on use: the DynamoDB one needs botocore, the SQLite one nothing the service lacks.
    if name == "DynamoDBPromptStore":
        from mastra.prompts.dynamodb import DynamoDBPromptStore

        return DynamoDBPromptStore
    if name == "SQLitePromptStore":
        from mastra.prompts.sqlite import SQLitePromptStore

        return SQLitePromptStore
    if name == "check_template":
        from mastra.prompts.render import check_template

        return check_template
    raise AttributeError(name)


__all__ = [
    "BUILTIN_VARIABLES",
    "DynamoDBPromptStore",
    "Label",
    "LabelMove",
    "LabelTarget",
    "PromptChoice",
    "PromptDiff",
    "PromptDraft",
    "PromptModelSettings",
    "PromptService",
    "PromptStore",
    "PromptSummary",
    "PromptVersion",
    "SQLitePromptStore",
    "Split",
    "Variable",
    "bucket",
    "check_template",
    "inline_choice",
    "parse_ref",
]
