"""Working memory: the user's profile, declared field by field in the agent specs.

The schema is the union of every agent's ``memory.working`` fields (one profile per user, shared
by the agents; a field two agents declare must have the same type). Updates are merges of fields:
the pipeline extracts values from the user's message with the fields' patterns, the API patches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mastra.errors import InvalidRequestError, SpecError
from mastra.spec.models import AgentSpec, WorkingMemoryField
from mastra.storage.base import Patch

MAX_VALUE_CHARS = 500
MAX_LIST_ITEMS = 50
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "list": (list,),
}


@dataclass(frozen=True)
class WorkingMemorySchema:
    fields: dict[str, WorkingMemoryField]

    @classmethod
    def of(cls, specs: Iterable[AgentSpec]) -> WorkingMemorySchema:
        fields: dict[str, WorkingMemoryField] = {}
        owner: dict[str, str] = {}
        for spec in specs:
            for name, field in spec.memory.working.items():
                seen = fields.get(name)
                if seen is not None and seen.type != field.type:
                    raise SpecError(
                        f"{spec.id}: memory.working.{name}: type {field.type!r} differs from {seen.type!r} "
                        f"declared by agent {owner[name]!r} (one profile per user: a field has one type)"
                    )
                if seen is None:
                    fields[name], owner[name] = field, spec.id
                else:  # the same field declared twice: both agents' patterns extract it
                    merged = seen.patterns + [p for p in field.patterns if p not in seen.patterns]
                    fields[name] = seen.model_copy(update={"patterns": merged})
        return cls(fields)

    def json_schema(self) -> dict[str, Any]:
        """The profile as JSON Schema (``GET /v1/users/{id}/working-memory`` documents it)."""
        kinds = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean", "list": "array"}
        props: dict[str, Any] = {}
        for name, f in self.fields.items():
            prop: dict[str, Any] = {"type": kinds[f.type], "description": f.description}
            if f.type == "list":
                prop["items"] = {"type": "string"}
            props[name] = prop
        return {"type": "object", "properties": props, "additionalProperties": False}

    def validate_patch(self, patch: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """A JSON merge patch (RFC 7386) of the profile: ``null`` removes a field. A 4xx if a field
        is unknown or of the wrong type."""
        to_set: dict[str, Any] = {}
        removed: list[str] = []
        problems: list[str] = []
        for name, value in patch.items():
            field = self.fields.get(name)
            if field is None:
                known = ", ".join(sorted(self.fields)) or "none are declared"
                problems.append(f"{name}: not a working-memory field (fields: {known})")
            elif value is None:
                removed.append(name)
            else:
                problem = _type_problem(field, value)
                if problem:
                    problems.append(f"{name}: {problem}")
                else:
                    to_set[name] = value
        if problems:
            raise InvalidRequestError("; ".join(problems), details={"fields": sorted(patch)})
        return to_set, removed

    def extract(self, message: str, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """Values the message states for the profile's fields (by their patterns); lists: items to add."""
        found: dict[str, Any] = {}
        for name in self.fields if fields is None else fields:
            field = self.fields[name]
            for pattern in field.patterns:
                match = _compiled(pattern).search(message)
                if match is None or not match.group("value"):
                    continue
                value = _coerce(field, match.group("value").strip().strip(".,!?;:"))
                if value is not None:
                    found[name] = value
                    break
        return found


def merge_extracted(schema: WorkingMemorySchema, extracted: dict[str, Any]) -> Patch:
    """The patch for ``Store.update_working_memory``: scalars replace, list items are added once."""

    def patch(current: dict[str, object]) -> tuple[dict[str, object], list[str]]:
        out: dict[str, object] = {}
        for name, value in extracted.items():
            if schema.fields[name].type == "list":
                held = current.get(name)
                items = list(held) if isinstance(held, list) else []
                if value not in items:
                    out[name] = [*items, value][-MAX_LIST_ITEMS:]
            else:
                out[name] = value
        return out, []

    return patch


def _type_problem(field: WorkingMemoryField, value: Any) -> str | None:
    ok = isinstance(value, _TYPES[field.type]) and not (field.type != "boolean" and isinstance(value, bool))
    if not ok:
        return f"expected {field.type}, got {type(value).__name__}"
    if field.type == "list":
        if len(value) > MAX_LIST_ITEMS:
            return f"at most {MAX_LIST_ITEMS} items"
        if not all(isinstance(v, str) and len(v) <= MAX_VALUE_CHARS for v in value):
            return f"items must be strings of at most {MAX_VALUE_CHARS} characters"
    if field.type == "string" and len(value) > MAX_VALUE_CHARS:
        return f"at most {MAX_VALUE_CHARS} characters"
    return None


def _coerce(field: WorkingMemoryField, raw: str) -> Any:
    raw = raw[:MAX_VALUE_CHARS]
    try:
        if field.type == "integer":
            return int(raw)
        if field.type == "number":
            return float(raw)
    except ValueError:
        return None
    if field.type == "boolean":
        return raw.lower() in {"yes", "true", "y", "on"}
    return raw


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    hit = _PATTERNS.get(pattern)
    if hit is None:
        hit = _PATTERNS[pattern] = re.compile(pattern, re.IGNORECASE)
    return hit
