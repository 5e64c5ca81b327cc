"""Loading agent specs from YAML/JSON files, with errors that name the file, field and reason."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mastra.errors import SpecError
from mastra.spec.models import AgentSpec

SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def field_path(loc: Sequence[int | str]) -> str:
    """``("capabilities", 2, "examples")`` -> ``"capabilities[2].examples"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def _describe(error: Any) -> str:
    loc = [p for p in error["loc"] if p not in ("function-before[_from_name(), Capability]",)]
    reason = error["msg"]
    if error["type"] == "extra_forbidden":
        reason = "unknown field (not part of the agent schema; see `mastra schema`)"
    elif error["type"] == "missing":
        reason = "required field is missing"
    return f"{field_path(loc)}: {reason}"


def parse_spec(data: Any, source: str) -> AgentSpec:
    """Validate already-parsed data as an :class:`AgentSpec`; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: <root>: expected a mapping of agent fields, got {type(data).__name__}")
    try:
        return AgentSpec.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(e) for e in exc.errors(include_url=False)]
        raise SpecError(f"{source}: " + "; ".join(problems), details={"file": source, "errors": problems}) from None


def read_spec_file(path: Path) -> Any:
    """Parse a spec file's YAML or JSON without validating it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read file ({exc.strerror})", details={"file": str(path)}) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: <root>: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    import yaml  # only when parsing specs: a start from the compiled-agent cache skips it (~8 ms)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=loader)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise SpecError(f"{path}: <root>: not valid {path.suffix[1:].upper()}: {exc}") from None


def load_spec(path: str | Path) -> AgentSpec:
    """Load and validate one agent spec file.

    >>> from mastra.settings import EXAMPLE_AGENTS_DIR
    >>> load_spec(EXAMPLE_AGENTS_DIR / "banking.yaml").id
    'banking'
    """
    path = Path(path)
    return parse_spec(read_spec_file(path), str(path))


def spec_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise SpecError(f"{directory}: agent directory does not exist", details={"file": str(directory)})
    return sorted(p for p in directory.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())


def load_specs(directory: str | Path) -> list[tuple[Path, AgentSpec]]:
    """Load every ``*.yaml``, ``*.yml`` and ``*.json`` spec of a directory, sorted by file name."""
    return [(p, load_spec(p)) for p in spec_files(Path(directory))]
