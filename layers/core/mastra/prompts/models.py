"""Prompt registry records: immutable versions, movable labels, and the history of label moves.

A version (``id`` + ``version``) never changes once written; a label (``production``, ``staging``,
any name) points at one version, or splits traffic between two by weight (A/B). Every label
move is logged (who, when, from, to), so a rollback is one more move, and it is auditable.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

PROMPT_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
LABEL_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
#: ``id@label`` or ``id@version`` (a number).
REF_PATTERN = r"^[a-z][a-z0-9_-]*@([A-Za-z][A-Za-z0-9_-]*|[0-9]+)$"

PromptId = Annotated[str, StringConstraints(pattern=PROMPT_ID_PATTERN)]
LabelName = Annotated[str, StringConstraints(pattern=LABEL_PATTERN)]
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
VariableType = Literal["string", "integer", "number", "boolean", "list", "object"]

#: Variables every template may use without declaring them (set by the runtime on each request).
BUILTIN_VARIABLES = frozenset({"agent", "user_id", "today", "working_memory", "summary", "recalled"})

MAX_VERSION = 99_999_999  # version keys are 8 digits (they sort as text in DynamoDB)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variable(_Record):
    """An input the template declares: a value of ``type`` must be given unless ``required`` is false."""

    name: VariableName
    type: VariableType = "string"
    required: bool = True
    description: str = ""

    @field_validator("name")
    @classmethod
    def _not_builtin(cls, name: str) -> str:
        if name in BUILTIN_VARIABLES:
            raise ValueError(f"{name!r} is a built-in variable: it is always available, do not declare it")
        return name


class PromptModelSettings(_Record):
    """Model settings a prompt version applies over the agent spec's (the provider stays the spec's)."""

    model_id: str | None = Field(None, min_length=1)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=200_000)

    def overrides(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class PromptDraft(_Record):
    """What a caller submits to create a version (the store assigns the number and the time)."""

    template: str = Field(min_length=1, max_length=100_000, description="Jinja2 template (sandboxed).")
    variables: list[Variable] = Field(default_factory=list)
    model: PromptModelSettings = Field(default_factory=PromptModelSettings)
    author: str = Field("unknown", min_length=1, max_length=128)
    note: str = Field("", max_length=2000, description="What changed and why.")

    @field_validator("variables")
    @classmethod
    def _unique(cls, variables: list[Variable]) -> list[Variable]:
        names = [v.name for v in variables]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"variable(s) declared twice: {', '.join(dupes)}")
        return variables


class PromptVersion(PromptDraft):
    """One immutable version of a prompt."""

    id: PromptId
    version: int = Field(ge=1, le=MAX_VERSION)
    created_at: float

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


class Split(_Record):
    version: int = Field(ge=1, le=MAX_VERSION)
    weight: float = Field(gt=0, le=1_000_000)


class LabelTarget(_Record):
    """Where a label points: one ``version``, or a weighted ``split`` between two versions."""

    version: int | None = Field(None, ge=1, le=MAX_VERSION)
    split: list[Split] | None = Field(None, min_length=2, max_length=2)

    @model_validator(mode="after")
    def _one(self) -> LabelTarget:
        if (self.version is None) == (self.split is None):
            raise ValueError("give exactly one of version or split")
        if self.split is not None and self.split[0].version == self.split[1].version:
            raise ValueError("a split needs two different versions")
        return self

    @property
    def versions(self) -> list[int]:
        return [s.version for s in self.split] if self.split is not None else [self.version or 0]

    def describe(self) -> str:
        if self.split is None:
            return f"v{self.version}"
        total = sum(s.weight for s in self.split)
        return " / ".join(f"v{s.version} {s.weight / total:.0%}" for s in self.split)


class Label(_Record):
    """A label's current target. ``revision`` counts its moves (the optimistic-concurrency token)."""

    prompt_id: PromptId
    name: LabelName
    target: LabelTarget
    revision: int = Field(ge=1)
    updated_at: float
    updated_by: str = "unknown"


class LabelMove(_Record):
    """One entry of a label's history."""

    prompt_id: PromptId
    label: LabelName
    revision: int = Field(ge=1)
    from_target: LabelTarget | None = None
    to_target: LabelTarget
    by: str = "unknown"
    at: float
    note: str = ""


class PromptSummary(_Record):
    id: str
    latest_version: int
    labels: dict[str, LabelTarget] = Field(default_factory=dict)


class PromptDiff(_Record):
    """What changed between two versions: the template as a unified diff, variables and settings."""

    id: str
    from_version: int
    to_version: int
    template: str = Field(description="Unified diff of the template ('' if unchanged).")
    variables_added: list[Variable] = Field(default_factory=list)
    variables_removed: list[Variable] = Field(default_factory=list)
    variables_changed: list[dict[str, Any]] = Field(default_factory=list)
    model: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Setting -> {'from': ..., 'to': ...} for each changed model setting."
    )

    @property
    def unchanged(self) -> bool:
        return not (
            self.template or self.variables_added or self.variables_removed or self.variables_changed or self.model
        )
