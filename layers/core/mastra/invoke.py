"""Run a Lambda handler from ``functions/<name>/app.py`` in-process: ``sam local invoke`` without Docker.

The handler module is loaded from its file, called with the event and a Lambda-like context, and
its log output (Powertools writes JSON logs to stdout) is sent to stderr so that stdout carries only
the result, as with ``sam local invoke``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

_MODULES: dict[Path, ModuleType] = {}
# Loading runs module code; two threads loading handlers at once (a Parallel state under moto)
# can deadlock on their shared imports, so modules load one at a time.
_LOAD_LOCK = threading.Lock()


@dataclass
class LambdaContext:
    """The attributes of AWS Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_s: float = 30.0
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


def load_handler_module(project_dir: Path, function: str) -> ModuleType:
    path = (project_dir / "functions" / function / "app.py").resolve()
    if not path.exists():
        available = sorted(p.name for p in (project_dir / "functions").iterdir() if (p / "app.py").exists())
        raise FileNotFoundError(f"no handler {path} (functions: {', '.join(available)})")
    module = _MODULES.get(path)
    if module is None:
        with _LOAD_LOCK:
            module = _MODULES.get(path)
            if module is None:
                spec = importlib.util.spec_from_file_location(f"mastra_function_{function}", path)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                with contextlib.redirect_stdout(sys.stderr):
                    spec.loader.exec_module(module)
                _MODULES[path] = module
    return module


def invoke_function(project_dir: Path, function: str, event: Any, context: LambdaContext | None = None) -> Any:
    """Call ``functions/<function>/app.py``'s ``handler(event, context)`` and return its result."""
    module = load_handler_module(project_dir, function)
    with contextlib.redirect_stdout(sys.stderr):
        return module.handler(event, context or LambdaContext(function_name=function))
