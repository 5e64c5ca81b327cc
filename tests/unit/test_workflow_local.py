"""The local ASL interpreter: the semantics the pipeline relies on, state by state."""

from __future__ import annotations

import pytest

from mastra.errors import ProviderThrottledError
from mastra.workflow import ExecutionFailed, LocalStateMachine


def machine(states: dict, resources: dict, start: str = "A", **kw) -> LocalStateMachine:  # type: ignore[no-untyped-def]
    return LocalStateMachine({"StartAt": start, "States": states}, resources, sleep=lambda s: None, **kw)


def test_parameters_result_path_and_output_path() -> None:
    m = machine(
        {
            "A": {
                "Type": "Task",
                "Resource": "add",
                "Parameters": {"x.$": "$.in.x", "y": 2, "nested": {"z.$": "$.in.x"}},
                "ResultPath": "$.sum",
                "Next": "B",
            },
            "B": {
                "Type": "Pass",
                "Parameters": {"total.$": "$.sum"},
                "ResultPath": "$.out",
                "OutputPath": "$.out",
                "End": True,
            },
        },
        {"add": lambda p: p["x"] + p["y"] + p["nested"]["z"]},
    )
    assert m.run({"in": {"x": 3}}) == {"total": 8}


def test_result_path_null_keeps_the_input() -> None:
    m = machine({"A": {"Type": "Task", "Resource": "f", "ResultPath": None, "End": True}}, {"f": lambda p: 42})
    assert m.run({"a": 1}) == {"a": 1}


def test_choice_routes_on_values_and_default() -> None:
    states = {
        "A": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.v", "StringEquals": "retry", "Next": "R"},
                {
                    "And": [
                        {"Variable": "$.n", "NumericGreaterThan": 1},
                        {"Variable": "$.flag", "BooleanEquals": True},
                    ],
                    "Next": "N",
                },
            ],
            "Default": "D",
        },
        "R": {"Type": "Pass", "Result": "retried", "End": True},
        "N": {"Type": "Pass", "Result": "numeric", "End": True},
        "D": {"Type": "Succeed"},
    }
    m = machine(states, {})
    assert m.run({"v": "retry"}) == "retried"
    assert m.run({"v": "x", "n": 2, "flag": True}) == "numeric"
    assert m.run({"v": "x"}) == {"v": "x"}


def test_parallel_runs_each_branch_on_the_input_and_selects_results() -> None:
    branch = lambda res: {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": res, "End": True}}}  # noqa: E731
    m = machine(
        {
            "A": {
                "Type": "Parallel",
                "Branches": [branch("double"), branch("neg")],
                "ResultSelector": {"d.$": "$[0]", "n.$": "$[1]"},
                "ResultPath": "$.both",
                "End": True,
            }
        },
        {"double": lambda p: p["x"] * 2, "neg": lambda p: -p["x"]},
    )
    assert m.run({"x": 5}) == {"x": 5, "both": {"d": 10, "n": -5}}


def test_retry_with_backoff_then_success() -> None:
    calls = {"n": 0}
    sleeps: list[float] = []

    def flaky(p: dict) -> str:
        calls["n"] += 1
        if calls["n"] < 3:
            raise ProviderThrottledError("slow down")
        return "ok"

    m = LocalStateMachine(
        {
            "StartAt": "A",
            "States": {
                "A": {
                    "Type": "Task",
                    "Resource": "f",
                    "End": True,
                    "Retry": [
                        {
                            "ErrorEquals": ["ProviderThrottledError"],
                            "IntervalSeconds": 1,
                            "MaxAttempts": 3,
                            "BackoffRate": 2.0,
                        }
                    ],
                }
            },
        },
        {"f": flaky},
        sleep=sleeps.append,
    )
    assert m.run({}) == "ok"
    assert sleeps == [1, 2]


def test_retries_exhausted_then_catch_records_the_error() -> None:
    def boom(p: dict) -> None:
        raise ProviderThrottledError("still throttled")

    m = machine(
        {
            "A": {
                "Type": "Task",
                "Resource": "f",
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["ProviderThrottledError"], "ResultPath": "$.err", "Next": "B"}],
                "End": True,
            },
            "B": {"Type": "Pass", "End": True},
        },
        {"f": boom},
    )
    out = m.run({"keep": 1})
    assert out["keep"] == 1 and out["err"]["Error"] == "ProviderThrottledError"
    assert "still throttled" in out["err"]["Cause"]


def test_uncaught_errors_fail_the_execution_with_the_error_name() -> None:
    def boom(p: dict) -> None:
        raise ValueError("bad")

    m = machine(
        {
            "A": {
                "Type": "Task",
                "Resource": "f",
                "Catch": [{"ErrorEquals": ["KeyError"], "Next": "B"}],
                "End": True,
            },
            "B": {"Type": "Succeed"},
        },
        {"f": boom},
    )
    with pytest.raises(ExecutionFailed) as info:
        m.run({})
    assert info.value.error == "ValueError"
    with pytest.raises(ExecutionFailed) as info:
        machine({"A": {"Type": "Pass", "Parameters": {"x.$": "$.missing"}, "End": True}}, {}).run({})
    assert info.value.error == "States.Runtime"
    with pytest.raises(ExecutionFailed, match="Nope"):
        machine({"A": {"Type": "Fail", "Error": "Nope", "Cause": "c"}}, {}).run({})


def test_task_failed_matches_task_errors() -> None:
    def boom(p: dict) -> None:
        raise RuntimeError("x")

    m = machine(
        {
            "A": {
                "Type": "Task",
                "Resource": "f",
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "B"}],
                "End": True,
            },
            "B": {"Type": "Pass", "Result": "caught", "End": True},
        },
        {"f": boom},
    )
    assert m.run({}) == "caught"


def test_definitions_are_checked_when_compiled() -> None:
    with pytest.raises(ValueError, match="undefined states"):
        machine({"A": {"Type": "Pass", "Next": "Nowhere"}}, {})
    with pytest.raises(ValueError, match="no local resource"):
        machine({"A": {"Type": "Task", "Resource": "missing", "End": True}}, {})
    with pytest.raises(ValueError, match="unsupported type"):
        machine({"A": {"Type": "Map", "End": True}}, {})


def test_strict_json_rejects_results_lambda_could_not_return() -> None:
    m = machine({"A": {"Type": "Task", "Resource": "f", "End": True}}, {"f": lambda p: {1, 2}}, strict_json=True)
    with pytest.raises(ExecutionFailed, match="TypeError"):
        m.run({})


def test_states_all_does_not_catch_runtime_errors() -> None:
    # As on AWS: a path that does not resolve fails the execution even under a catch-all.
    m = machine(
        {
            "A": {
                "Type": "Pass",
                "Parameters": {"x.$": "$.missing"},
                "End": True,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}],
            },
            "B": {"Type": "Succeed"},
        },
        {},
    )
    with pytest.raises(ExecutionFailed) as info:
        m.run({})
    assert info.value.error == "States.Runtime"
