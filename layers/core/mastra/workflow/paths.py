"""The JSONPath subset Amazon States Language uses in our definitions: ``$``, ``$.a.b``, ``$.a[0]``."""

from __future__ import annotations

import re
from typing import Any

from mastra.errors import MastraError

_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


class PathError(MastraError):
    """A path did not resolve (ASL's ``States.Runtime``)."""

    code = "states_runtime"


Path = tuple[str | int, ...]


def parse(path: str) -> Path:
    if not path.startswith("$") or path.startswith("$$"):
        raise ValueError(f"unsupported path {path!r} (only '$', '$.field' and '$[n]' forms)")
    parts: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m:
            raise ValueError(f"unsupported path {path!r}")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    return tuple(parts)


def get(data: Any, path: Path, text: str = "") -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            raise PathError(f"path {text or path!r} not found in the state") from None
    return data


def put(data: Any, path: Path, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at ``path`` (copies only along the path)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        raise ValueError("ResultPath cannot index arrays")
    out = dict(data) if isinstance(data, dict) else {}
    out[head] = put(out.get(head, {}), rest, value)
    return out
