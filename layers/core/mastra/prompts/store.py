"""The prompt store contract: public flows here, small hooks in each backend (``sqlite``, ``dynamodb``).

Every hook raises only Mastra errors: ``ConflictError`` when a version number is taken or a label
moved since it was read, ``StorageError`` (retryable) when the backend cannot be reached.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import ClassVar

from mastra.errors import ConflictError
from mastra.prompts.models import MAX_VERSION, Label, LabelMove, LabelTarget, PromptDraft, PromptVersion


class PromptStore(ABC):
    backend: ClassVar[str]

    # ---- versions --------------------------------------------------------------------------------
    def create_version(
        self, prompt_id: str, draft: PromptDraft, *, number: int | None = None, at: float | None = None
    ) -> PromptVersion:
        """Store a new immutable version: the next number, or exactly ``number`` (ConflictError if taken)."""
        version = PromptVersion(
            id=prompt_id,
            version=number or 1,
            created_at=time.time() if at is None else at,
            **draft.model_dump(),
        )
        return self._insert_version(version, numbered=number is not None)

    @abstractmethod
    def _insert_version(self, version: PromptVersion, *, numbered: bool) -> PromptVersion:
        """Write ``version`` under its own number if ``numbered``, else under the next free one
        (concurrent writers get distinct numbers). Version 1 also registers the prompt id."""

    @abstractmethod
    def get_version(self, prompt_id: str, version: int) -> PromptVersion | None: ...

    @abstractmethod
    def versions(self, prompt_id: str) -> list[PromptVersion]:
        """All versions, oldest first."""

    @abstractmethod
    def latest_version(self, prompt_id: str) -> int:
        """The highest version number (0: no such prompt)."""

    @abstractmethod
    def prompt_ids(self) -> list[str]:
        """Every prompt id, sorted."""

    # ---- labels ------------------------------------------------------------------------------------
    @abstractmethod
    def get_label(self, prompt_id: str, name: str) -> Label | None: ...

    @abstractmethod
    def labels(self, prompt_id: str) -> list[Label]: ...

    def move_label(
        self,
        prompt_id: str,
        name: str,
        target: LabelTarget,
        *,
        current: Label | None,
        by: str = "unknown",
        note: str = "",
        at: float | None = None,
    ) -> Label:
        """Point the label at ``target`` if it still is ``current`` (None: the label must not exist);
        otherwise ConflictError. The move and its history entry are written together."""
        at = time.time() if at is None else at
        revision = (current.revision if current else 0) + 1
        label = Label(prompt_id=prompt_id, name=name, target=target, revision=revision, updated_at=at, updated_by=by)
        move = LabelMove(
            prompt_id=prompt_id,
            label=name,
            revision=revision,
            from_target=current.target if current else None,
            to_target=target,
            by=by,
            at=at,
            note=note,
        )
        self._write_label(label, move, expected_revision=current.revision if current else None)
        return label

    @abstractmethod
    def _write_label(self, label: Label, move: LabelMove, *, expected_revision: int | None) -> None:
        """Write both atomically, only if the label's revision is still ``expected_revision``."""

    @abstractmethod
    def history(self, prompt_id: str, name: str | None = None) -> list[LabelMove]:
        """Label moves, oldest first (one label's, or all of the prompt's)."""

    @staticmethod
    def _lost_race(prompt_id: str, name: str) -> ConflictError:
        return ConflictError(
            f"label {name!r} of prompt {prompt_id!r} moved meanwhile: read it again and retry",
            details={"prompt_id": prompt_id, "label": name},
        )

    @staticmethod
    def _next(version: PromptVersion, latest: int) -> PromptVersion:
        """``version`` numbered after ``latest``; a 409 past the last number (never a stored invalid version)."""
        if latest >= MAX_VERSION:
            raise ConflictError(
                f"prompt {version.id!r} has used every version number (the last is {MAX_VERSION})",
                details={"prompt_id": version.id, "version": latest},
            )
        return version.model_copy(update={"version": latest + 1})

    @staticmethod
    def _taken(version: PromptVersion) -> ConflictError:
        return ConflictError(
            f"prompt {version.id!r} version {version.version} exists (versions are immutable)",
            details={"prompt_id": version.id, "version": version.version},
        )

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (the SQLite file is owned by the turn store)."""
