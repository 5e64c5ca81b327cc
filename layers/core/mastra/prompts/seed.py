"""Prompt files (YAML) and seeding a registry from a directory of them.

A prompt file holds one prompt: ``id``, ``template``, ``variables`` (a list of ``{name, type,
required, description}``, or a ``name: type`` mapping), ``model`` (settings over the agent's),
``author`` and ``note``. Seeding registers each file as version 1 and points ``production`` at it,
but only for prompts the registry does not have yet: it never overwrites, and running it twice
(or in two processes at once) changes nothing the second time.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mastra.errors import ConflictError, SpecError
from mastra.prompts.models import PromptDraft, PromptId, PromptModelSettings, Variable

if TYPE_CHECKING:
    from mastra.prompts.registry import PromptService


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PromptId
    template: str = Field(min_length=1)
    variables: list[Variable] = Field(default_factory=list)
    model: PromptModelSettings = Field(default_factory=PromptModelSettings)
    author: str = "seed"
    note: str = ""

    @field_validator("variables", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):  # {name: type} or {name: {type, required, ...}}
            return [{"name": k, **(v if isinstance(v, dict) else {"type": v})} for k, v in value.items()]
        return value

    def draft(self) -> PromptDraft:
        return PromptDraft(
            template=self.template, variables=self.variables, model=self.model, author=self.author, note=self.note
        )


def load_prompt_file(path: str | Path) -> PromptFile:
    """Read and validate one prompt file (errors name the file and the field)."""
    import yaml
    from pydantic import ValidationError

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
        return PromptFile.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the prompt file: {exc}") from None
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise SpecError(f"{path}: {reasons}") from None


def prompt_files(directory: str | Path) -> list[Path]:
    directory = Path(directory)
    return sorted(p for p in directory.glob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def seed_directory(
    service: PromptService, directory: str | Path, *, label: str = "production", by: str = "seed"
) -> list[str]:
    """Register each prompt file of ``directory`` the registry lacks; returns the ids registered."""
    from mastra.prompts.models import LabelTarget

    created = []
    existing = set(service.store.prompt_ids())
    for path in prompt_files(directory):
        file = load_prompt_file(path)
        if file.id in existing:
            if service.store.get_label(file.id, label) is None:  # a seed that stopped before its label
                with contextlib.suppress(ConflictError):  # another process labelled it meanwhile
                    service.move_label(file.id, label, LabelTarget(version=1), expect_new=True, by=by)
            continue
        try:
            version = service.create(file.id, file.draft(), version=1)
        except ConflictError:
            continue  # another process seeded it first
        with contextlib.suppress(ConflictError):
            service.move_label(
                file.id,
                label,
                LabelTarget(version=version.version),
                expect_new=True,
                by=by,
                note=f"seeded from {path.name}",
            )
        created.append(file.id)
    return created
