"""One pipeline definition: the committed ASL file, template.yaml and the handlers agree with it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from mastra.pipeline import STEPS, definition

REPO = Path(__file__).resolve().parents[2]
ASL = REPO / "statemachines" / "request_pipeline.asl.json"


class _CfnLoader(yaml.SafeLoader):
    """Reads template.yaml's !Ref/!GetAtt/!Sub tags as plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


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
    template = yaml.load((REPO / "template.yaml").read_text(), Loader=_CfnLoader)
    resources = template["Resources"]
    machine = resources["RequestPipeline"]["Properties"]
    assert machine["DefinitionUri"] == "statemachines/request_pipeline.asl.json" and machine["Type"] == "EXPRESS"
    assert set(machine["DefinitionSubstitutions"]) == {f"{logical}Arn" for logical, _ in STEPS.values()}
    for step, (logical, _) in STEPS.items():
        assert resources[logical]["Properties"]["CodeUri"] == f"functions/{step}/"
    assert resources["ApiFunction"]["Properties"]["CodeUri"] == "functions/api/"
