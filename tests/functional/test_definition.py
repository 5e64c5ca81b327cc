"""One pipeline definition: the committed ASL file, template.yaml and the handlers agree with it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from infra import cfn

from mastra.pipeline import STEPS, definition

REPO = Path(__file__).resolve().parents[2]
ASL = REPO / "statemachines" / "request_pipeline.asl.json"


def test_the_committed_asl_is_generated_from_the_python_definition() -> None:
    assert json.loads(ASL.read_text()) == definition(), "run `mastra pipeline asl --write`"


def _states(machine: dict) -> dict:
    out = dict(machine["States"])
    for state in machine["States"].values():
        for branch in state.get("Branches", []):
            out.update(_states(branch))
    return out


def test_every_transition_and_resource_is_defined() -> None:
    def check(machine: dict) -> None:
        names = set(machine["States"])
        assert machine["StartAt"] in names
        for name, state in machine["States"].items():
            targets = [state.get("Next"), state.get("Default")] + [c["Next"] for c in state.get("Catch", [])]
            targets += [c["Next"] for c in state.get("Choices", [])]
            assert {t for t in targets if t} <= names, name
            assert state["Type"] in ("Choice", "Succeed", "Fail") or state.get("Next") or state.get("End"), name
            for branch in state.get("Branches", []):
                check(branch)

    check(definition())
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))
    assert placeholders == {f"{logical}Arn" for logical, _ in STEPS.values()}


def test_template_substitutes_every_function_and_declares_every_handler() -> None:
    resources = cfn.template()["Resources"]
    machine = resources["RequestPipeline"]["Properties"]
    assert machine["DefinitionUri"] == "statemachines/request_pipeline.asl.json" and machine["Type"] == "EXPRESS"
    assert set(machine["DefinitionSubstitutions"]) == {f"{logical}Arn" for logical, _ in STEPS.values()}
    for step, (logical, _) in STEPS.items():
        assert resources[logical]["Properties"]["CodeUri"] == f"functions/{step}/"
    assert resources["ApiFunction"]["Properties"]["CodeUri"] == "functions/api/"


def test_every_state_machine_passes_a_real_asl_validator() -> None:
    """moto accepts broken definitions, so a real validator checks what CloudFormation would deploy."""
    from infra.validate_asl import find_validator

    validator = find_validator()
    if not validator:
        if os.environ.get("CI"):
            pytest.fail("asl-validator is missing: .ci/run installs it into .ci/node")
        pytest.skip("asl-validator not installed: npm install --prefix .ci/node asl-validator@4.0.0")
    p = subprocess.run(
        [sys.executable, "infra/validate_asl.py", "--validator", validator],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "ok   RequestPipeline" in p.stdout
    assert "ok   RetrainingStateMachine" in p.stdout


def test_substitutions_must_match_the_placeholders(tmp_path: Path) -> None:
    from infra.validate_asl import substituted

    asl = tmp_path / "m.asl.json"
    asl.write_text('{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${FnArn}", "End": true}}}')
    arn = {"!GetAtt": "Fn.Arn"}
    assert "function:Fn" in substituted(asl, {"FnArn": arn})
    with pytest.raises(ValueError, match="no substitution"):
        substituted(asl, {})
    with pytest.raises(ValueError, match="never used"):
        substituted(asl, {"FnArn": arn, "OtherArn": arn})
