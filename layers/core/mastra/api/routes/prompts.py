"""The prompt registry: versions, diffs, labels (with A/B splits) and rendering with sample values.

The registry is the deployment's, like the agents that use it: one prompt serves every tenant's
requests. So only the deployment's own tenant (``MASTRA_TENANT_ID``, the operator) may use these
routes; any other tenant gets a 403, never another tenant's view of shared configuration.
Reading, rendering and creating versions need the ``prompts`` scope (a new version serves nobody
until a label points at it); moving a label releases a version to every request, so it needs
``admin``. Creating a version and moving a label are audited (``audit.recorded``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mastra.api.deps import RuntimeDep, require, runtime_dep
from mastra.api.idempotency import idempotent
from mastra.api.schemas import ErrorBody
from mastra.errors import ForbiddenError, InvalidRequestError
from mastra.models import ID_PATTERN, PromptUse
from mastra.prompts.models import (
    LABEL_PATTERN,
    MAX_VERSION,
    PROMPT_ID_PATTERN,
    Label,
    LabelMove,
    LabelTarget,
    PromptDiff,
    PromptDraft,
    PromptSummary,
    PromptVersion,
    Split,
)
from mastra.runtime import Runtime
from mastra.security.principal import Principal

router = APIRouter(prefix="/v1/prompts", tags=["prompts"])


def operator(scope: str) -> Any:
    """A dependency: the caller holds ``scope`` and belongs to the deployment's own tenant."""
    check = require(scope)

    # Defaults, not Annotated: with postponed annotations a closure's local is not resolvable.
    def dep(principal: Principal = Depends(check), runtime: Runtime = Depends(runtime_dep)) -> Principal:  # noqa: B008
        if principal.tenant_id != runtime.settings.tenant_id:
            raise ForbiddenError(
                "the prompt registry is the deployment's: only its own tenant's keys may use it",
                details={"tenant_id": principal.tenant_id},
            )
        return principal

    return dep


Reader = Annotated[Principal, Depends(operator("prompts"))]
Releaser = Annotated[Principal, Depends(operator("admin"))]

PromptIdPath = Annotated[str, Path(pattern=PROMPT_ID_PATTERN)]
LabelPath = Annotated[str, Path(pattern=LABEL_PATTERN)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    409: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


class CreateVersion(PromptDraft):
    version: int | None = Field(
        None, ge=1, le=MAX_VERSION, description="Exact number (409 if taken); default: the next one."
    )


class MoveLabel(BaseModel):
    """Point a label at one ``version``, or ``split`` it between two by weight."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, le=MAX_VERSION)
    split: list[Split] | None = None
    expected: LabelTarget | None = Field(None, description="Move only if the label points here now (else 409).")
    expect_new: bool = Field(False, description="Move only if the label does not exist yet (else 409).")
    author: str = Field("unknown", min_length=1, max_length=128)
    note: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _target(self) -> MoveLabel:
        try:
            self.target()  # a bad target is a 422 here, before anything is read
        except ValidationError as exc:
            raise ValueError("; ".join(str(e["msg"]) for e in exc.errors())) from None
        return self

    def target(self) -> LabelTarget:
        return LabelTarget(version=self.version, split=self.split)


class LabelView(BaseModel):
    label: Label
    history: list[LabelMove]


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: str | None = Field(None, description="<id>@<label> or <id>@<version> (the id must be the path's).")
    version: int | None = Field(None, ge=1, le=MAX_VERSION)
    label: str | None = Field(None, pattern=LABEL_PATTERN)
    variables: dict[str, Any] = Field(default_factory=dict)
    user_id: str = Field("anonymous", pattern=ID_PATTERN, description="Chooses the arm of a split label.")


class Rendered(BaseModel):
    text: str
    prompt: PromptUse


@router.get("", response_model=list[PromptSummary], summary="List the prompts")
def list_prompts(runtime: RuntimeDep, _: Reader) -> list[PromptSummary]:
    return runtime.prompts.list_prompts()


@router.post("/{prompt_id}/versions", response_model=PromptVersion, status_code=201, responses=_ERRORS)
@idempotent
def create_version(prompt_id: PromptIdPath, body: CreateVersion, runtime: RuntimeDep, caller: Reader) -> PromptVersion:
    """Create an immutable version (422 if the template is invalid)."""
    draft = PromptDraft.model_validate(body.model_dump(exclude={"version"}))
    created = runtime.prompts.create(prompt_id, draft, version=body.version)
    runtime.audit(caller, "prompt.version_created", f"prompt:{prompt_id}@{created.version}")
    return created


@router.get("/{prompt_id}/versions", response_model=list[PromptVersion], responses=_ERRORS)
def list_versions(prompt_id: PromptIdPath, runtime: RuntimeDep, _: Reader) -> list[PromptVersion]:
    return runtime.prompts.versions(prompt_id)


@router.get("/{prompt_id}/versions/{version}", response_model=PromptVersion, responses=_ERRORS)
def get_version(
    prompt_id: PromptIdPath, version: Annotated[int, Path(ge=1, le=MAX_VERSION)], runtime: RuntimeDep, _: Reader
) -> PromptVersion:
    return runtime.prompts.get(prompt_id, version)


@router.get("/{prompt_id}/diff", response_model=PromptDiff, responses=_ERRORS)
def diff(
    prompt_id: PromptIdPath,
    runtime: RuntimeDep,
    _: Reader,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION)],
    to: Annotated[int, Query(ge=1, le=MAX_VERSION)],
) -> PromptDiff:
    return runtime.prompts.diff(prompt_id, from_, to)


@router.put("/{prompt_id}/labels/{label}", response_model=Label, responses=_ERRORS)
def move_label(
    prompt_id: PromptIdPath, label: LabelPath, body: MoveLabel, runtime: RuntimeDep, caller: Releaser
) -> Label:
    """Move a label (rollback: move it back). A lost race, or an ``expected`` that no longer holds, is a 409.
    Needs the ``admin`` scope: the move reaches every request."""
    moved = runtime.prompts.move_label(
        prompt_id,
        label,
        body.target(),
        expected=body.expected,
        expect_new=body.expect_new,
        by=body.author,
        note=body.note,
    )
    runtime.audit(caller, "prompt.label_moved", f"prompt:{prompt_id}@{label}", revision=moved.revision, by=body.author)
    return moved


@router.get("/{prompt_id}/labels/{label}", response_model=LabelView, responses=_ERRORS)
def get_label(prompt_id: PromptIdPath, label: LabelPath, runtime: RuntimeDep, _: Reader) -> LabelView:
    """The label's target now, and its history of moves."""
    return LabelView(
        label=runtime.prompts.get_label(prompt_id, label), history=runtime.prompts.history(prompt_id, label)
    )


@router.post("/{prompt_id}/render", response_model=Rendered, responses=_ERRORS)
@idempotent
def render(prompt_id: PromptIdPath, body: RenderRequest, runtime: RuntimeDep, _: Reader) -> Rendered:
    """Render a version with sample variables (default: the latest version). A template error is a 422."""
    version, label = body.version, body.label
    if body.ref is not None:
        from mastra.prompts.registry import parse_ref

        ref_id, label_of_ref, version_of_ref = parse_ref(body.ref)
        if ref_id != prompt_id:
            raise InvalidRequestError(f"ref {body.ref!r} names another prompt than {prompt_id!r}")
        if version is not None or label is not None:
            raise InvalidRequestError("give ref, version or label, not several")
        version, label = version_of_ref, label_of_ref
    text, use = runtime.prompts.render(prompt_id, body.variables, version=version, label=label, user_id=body.user_id)
    return Rendered(text=text, prompt=use)
