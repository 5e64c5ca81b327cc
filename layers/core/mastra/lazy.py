"""Lazy package exports: a package names its implementations without importing them.

Every Lambda imports the domain models, which live beside the implementations in packages like
``mastra.selection``; importing ``RidgeRouter`` (numpy, the TF-IDF code) there would make the
functions that never route pay for it in every cold start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module path) on first access."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
