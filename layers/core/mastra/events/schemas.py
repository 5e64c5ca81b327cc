"""JSON Schemas of the events, one file per type and version: ``docs/events/<type>.v<version>.schema.json``.

Generated from the pydantic models (``mastra events schemas --write``); a test fails if the
committed files differ, as for the state machine's ASL.
"""

from __future__ import annotations

import json
from pathlib import Path

from mastra.events.models import EVENT_MODELS

DEFAULT_DIR = Path("docs/events")


def schema_files() -> dict[str, str]:
    """File name -> its text, for every event model."""
    out = {}
    for model in EVENT_MODELS:
        kind = model.model_fields["type"].default
        version = model.model_fields["version"].default
        schema = model.model_json_schema()
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{kind}.v{version}.schema.json",
            **schema,
        }
        out[f"{kind}.v{version}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def stale(directory: Path) -> list[str]:
    """Files missing, different or extra in ``directory`` (empty: up to date)."""
    expected = schema_files()
    present = {p.name for p in directory.glob("*.schema.json")} if directory.is_dir() else set()
    wrong = [n for n, text in expected.items() if not (directory / n).exists() or (directory / n).read_text() != text]
    return sorted(wrong + sorted(present - set(expected)))


def write(directory: Path) -> list[Path]:
    """Write every schema (and remove schemas of events that no longer exist)."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = schema_files()
    for path in directory.glob("*.schema.json"):
        if path.name not in expected:
            path.unlink()
    written = []
    for name, text in expected.items():
        path = directory / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written
