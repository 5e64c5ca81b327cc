"""Argument parsing shared by the ``mastra`` subcommands (kept apart from ``cli.py``: no imports)."""

from __future__ import annotations

import json
from typing import Any

from mastra.errors import InvalidRequestError


def assignments(pairs: list[str], flag: str = "--set") -> dict[str, Any]:
    """``name=value`` pairs; a value that parses as JSON is that JSON (``null``, ``3``, ``["a"]``), else a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise InvalidRequestError(f"{flag} takes name=value, not {pair!r}")
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out
