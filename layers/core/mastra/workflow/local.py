"""Runs an Amazon States Language definition in-process: the local twin of Step Functions.

The request pipeline is one ASL document (generated from :mod:`mastra.pipeline`); Step Functions
runs it on AWS and this interpreter runs the very same document locally, with each Task's
``Resource`` mapped to the Python function its Lambda handler would call. Supported: Task, Pass,
Parallel, Choice, Wait (``Seconds`` or ``SecondsPath``, through the injectable ``sleep``), Succeed,
Fail; Parameters, ResultSelector, ResultPath, OutputPath, Retry
(with backoff) and Catch, with Lambda's error naming (the exception's class name). Parallel
branches run one after the other here (the steps are CPU-bound; threads would only add overhead).
``TimeoutSeconds`` is not enforced locally: steps keep their own deadlines.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mastra.errors import MastraError
from mastra.workflow import paths

Resource = Callable[[Any], Any]
_OPS = {
    "StringEquals": lambda a, b: isinstance(a, str) and a == b,
    "BooleanEquals": lambda a, b: isinstance(a, bool) and a == b,
    "NumericEquals": lambda a, b: _num(a) and a == b,
    "NumericLessThan": lambda a, b: _num(a) and a < b,
    "NumericGreaterThan": lambda a, b: _num(a) and a > b,
    "NumericGreaterThanEquals": lambda a, b: _num(a) and a >= b,
    "NumericLessThanEquals": lambda a, b: _num(a) and a <= b,
    "IsNull": lambda a, b: (a is None) == b,
}


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


class ExecutionFailed(MastraError):
    """The state machine failed: an error no Catch handled, or a Fail state."""

    code = "execution_failed"

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}", details={"error": error, "cause": cause})
        self.error = error
        self.cause = cause


class _StateError(Exception):
    def __init__(self, error: str, cause: str) -> None:
        super().__init__(error)
        self.error = error
        self.cause = cause


def _error_of(exc: BaseException) -> _StateError:
    if isinstance(exc, _StateError):
        return exc
    if isinstance(exc, ExecutionFailed):
        return _StateError(exc.error, exc.cause)
    name = "States.Runtime" if isinstance(exc, paths.PathError) else type(exc).__name__
    return _StateError(name, json.dumps({"errorMessage": str(exc), "errorType": name}))


def _matches(patterns: list[str], error: str) -> bool:
    if error in patterns:
        return True
    if "States.ALL" in patterns:
        return error != "States.Runtime"  # as on AWS: a broken path or definition is never caught
    return "States.TaskFailed" in patterns and error != "States.Timeout" and not error.startswith("States.")


def _getter(text: str) -> Callable[[Any], Any]:
    path = paths.parse(text)
    return lambda data: paths.get(data, path, text)


def _template(spec: Any) -> Callable[[Any], Any]:
    """Compile a Parameters/ResultSelector template into a function of the input."""
    if isinstance(spec, dict):
        parts: list[tuple[str, Callable[[Any], Any]]] = []
        for key, value in spec.items():
            if key.endswith(".$"):
                parts.append((key[:-2], _getter(value)))
            else:
                parts.append((key, _template(value)))
        return lambda data: {k: f(data) for k, f in parts}
    if isinstance(spec, list):
        items = [_template(v) for v in spec]
        return lambda data: [f(data) for f in items]
    return lambda data: spec


def _condition(rule: dict[str, Any]) -> Callable[[Any], bool]:
    if "And" in rule:
        subs = [_condition(r) for r in rule["And"]]
        return lambda d: all(s(d) for s in subs)
    if "Or" in rule:
        subs = [_condition(r) for r in rule["Or"]]
        return lambda d: any(s(d) for s in subs)
    if "Not" in rule:
        sub = _condition(rule["Not"])
        return lambda d: not sub(d)
    path = paths.parse(rule["Variable"])
    if "IsPresent" in rule:
        want = rule["IsPresent"]

        def present(d: Any) -> bool:
            try:
                paths.get(d, path)
            except paths.PathError:
                return not want
            return bool(want)

        return present
    ops = [(k, v) for k, v in rule.items() if k in _OPS]
    if len(ops) != 1:
        raise ValueError(f"unsupported Choice rule {rule}")
    op, expected = ops[0]
    test: Callable[[Any, Any], bool] = _OPS[op]

    def check(d: Any) -> bool:
        try:
            return bool(test(paths.get(d, path), expected))
        except paths.PathError:
            return False

    return check


@dataclass
class _State:
    name: str
    spec: dict[str, Any]
    next: str | None
    parameters: Callable[[Any], Any] | None = None
    selector: Callable[[Any], Any] | None = None
    result_path: paths.Path | None = ()
    output_path: paths.Path = ()
    retry: list[dict[str, Any]] = field(default_factory=list)
    catch: list[dict[str, Any]] = field(default_factory=list)
    branches: list[tuple[str, dict[str, _State]]] = field(default_factory=list)
    rules: list[tuple[Callable[[Any], bool], str]] = field(default_factory=list)


class LocalStateMachine:
    """Compile once, run many times.

    ``resources`` maps each Task's ``Resource`` string to a callable taking the Task's input (after
    Parameters) and returning its result. ``strict_json`` round-trips every result through JSON,
    as Lambda would (tests turn it on; it costs time on the hot path).
    """

    def __init__(
        self,
        definition: Mapping[str, Any],
        resources: Mapping[str, Resource],
        *,
        sleep: Callable[[float], None] = time.sleep,
        strict_json: bool = False,
    ) -> None:
        self.resources = dict(resources)
        self.sleep = sleep
        self.strict_json = strict_json
        self._start, self._states = self._compile(definition)

    def _compile(self, machine: Mapping[str, Any]) -> tuple[str, dict[str, _State]]:
        states: dict[str, _State] = {}
        for name, spec in machine["States"].items():
            kind = spec["Type"]
            if kind not in ("Task", "Pass", "Parallel", "Choice", "Wait", "Succeed", "Fail"):
                raise ValueError(f"state {name}: unsupported type {kind}")
            if kind == "Task" and spec["Resource"] not in self.resources:
                raise ValueError(f"state {name}: no local resource for {spec['Resource']!r}")
            st = _State(name=name, spec=spec, next=spec.get("Next"))
            if "Parameters" in spec:
                st.parameters = _template(spec["Parameters"])
            if "Result" in spec:
                result = spec["Result"]
                st.parameters = lambda _d, r=result: r
            if "ResultSelector" in spec:
                st.selector = _template(spec["ResultSelector"])
            rp = spec.get("ResultPath", "$")
            st.result_path = None if rp is None else paths.parse(rp)
            st.output_path = paths.parse(spec.get("OutputPath", "$"))
            st.retry = spec.get("Retry", [])
            st.catch = spec.get("Catch", [])
            if kind == "Parallel":
                st.branches = [self._compile(b) for b in spec["Branches"]]
            if kind == "Choice":
                st.rules = [(_condition(r), r["Next"]) for r in spec["Choices"]]
            states[name] = st
        targets = [s.next for s in states.values() if s.next]
        for s in states.values():
            targets += [c["Next"] for c in s.catch]
            if s.spec["Type"] == "Choice":
                targets += [r["Next"] for r in s.spec["Choices"]] + ([s.spec["Default"]] if "Default" in s.spec else [])
        missing = sorted({t for t in targets if t not in states} | ({machine["StartAt"]} - set(states)))
        if missing:
            raise ValueError(f"transitions to undefined states: {missing}")
        return machine["StartAt"], states

    def run(self, data: Any) -> Any:
        """Run the machine on ``data``; raise :class:`ExecutionFailed` if it fails."""
        try:
            return self._run(self._start, self._states, data)
        except _StateError as err:
            raise ExecutionFailed(err.error, err.cause) from None

    def _run(self, start: str, states: dict[str, _State], data: Any) -> Any:
        name: str | None = start
        while name is not None:
            st = states[name]
            kind = st.spec["Type"]
            if kind == "Succeed":
                return data
            if kind == "Fail":
                raise _StateError(st.spec.get("Error", "States.Fail"), st.spec.get("Cause", ""))
            if kind == "Choice":
                name = next((target for test, target in st.rules if test(data)), st.spec.get("Default"))
                if name is None:
                    raise _StateError("States.NoChoiceMatched", f"no Choice rule matched in {st.name}")
                continue
            if kind == "Wait":
                self.sleep(self._wait_seconds(st, data))
                data = paths.get(data, st.output_path)
                if st.spec.get("End"):
                    return data
                name = st.next
                continue
            try:
                result = self._attempt(st, data)
            except _StateError as err:
                handler = next((c for c in st.catch if _matches(c["ErrorEquals"], err.error)), None)
                if handler is None:
                    raise
                error_output = {"Error": err.error, "Cause": err.cause}
                path = paths.parse(handler.get("ResultPath", "$"))
                data = paths.put(data, path, error_output)
                name = handler["Next"]
                continue
            data = data if st.result_path is None else paths.put(data, st.result_path, result)
            data = paths.get(data, st.output_path)
            if st.spec.get("End"):
                return data
            name = st.next
        return data

    @staticmethod
    def _wait_seconds(st: _State, data: Any) -> float:
        """A Wait state's delay: ``Seconds`` or the non-negative integer at ``SecondsPath``."""
        if "Seconds" in st.spec:
            return float(st.spec["Seconds"])
        if "SecondsPath" in st.spec:
            value = paths.get(data, paths.parse(st.spec["SecondsPath"]), st.spec["SecondsPath"])
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise _StateError("States.Runtime", f"{st.name}: SecondsPath is not a non-negative integer: {value!r}")
            return float(value)
        raise ValueError(f"state {st.name}: Wait needs Seconds or SecondsPath (Timestamp is not supported locally)")

    def _attempt(self, st: _State, data: Any) -> Any:
        attempts: dict[int, int] = {}
        while True:
            try:
                return self._execute(st, data)
            except Exception as exc:
                err = _error_of(exc)
                rule_index = next((i for i, r in enumerate(st.retry) if _matches(r["ErrorEquals"], err.error)), None)
                if rule_index is None:
                    raise err from None
                rule = st.retry[rule_index]
                done = attempts.get(rule_index, 0)
                if done >= rule.get("MaxAttempts", 3):
                    raise err from None
                delay = rule.get("IntervalSeconds", 1) * rule.get("BackoffRate", 2.0) ** done
                if "MaxDelaySeconds" in rule:
                    delay = min(delay, rule["MaxDelaySeconds"])
                attempts[rule_index] = done + 1
                self.sleep(delay)

    def _execute(self, st: _State, data: Any) -> Any:
        payload = st.parameters(data) if st.parameters else data
        kind = st.spec["Type"]
        if kind == "Task":
            result = self.resources[st.spec["Resource"]](payload)
            if self.strict_json:
                result = json.loads(json.dumps(result))
        elif kind == "Parallel":
            result = [self._run(start, states, payload) for start, states in st.branches]
        else:  # Pass
            result = payload
        return st.selector(result) if st.selector else result
