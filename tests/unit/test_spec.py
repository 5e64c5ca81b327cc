"""Agent specs: the schema, and errors that name the file, the field and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mastra.errors import SpecError
from mastra.settings import EXAMPLE_AGENTS_DIR
from mastra.spec import AgentRegistry, AgentSpec, load_spec

MINIMAL = {
    "id": "billing",
    "name": "Billing",
    "description": "Invoices and payments.",
    "capabilities": ["invoices", {"name": "refunds", "examples": ["i want my money back"]}],
    "knowledge": {"passages": [{"id": "refunds", "title": "Refunds", "text": "Refunds take 5 days."}]},
}


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data))
    return path


def test_minimal_spec_fills_defaults(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, "billing.yaml", MINIMAL))
    assert spec.capabilities[0].name == "invoices" and spec.capabilities[1].examples == ["i want my money back"]
    assert spec.model.provider == "retrieval" and spec.memory.history_messages == 10 and spec.kind == "model"
    assert spec.passage_questions() == {"refunds": ["Refunds", "i want my money back"]}


def test_json_specs_load_too(tmp_path: Path) -> None:
    assert load_spec(write(tmp_path, "billing.json", MINIMAL)).id == "billing"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"model": {"temperature": 3.5}}, "model.temperature", "less than or equal to 2"),
        ({"id": "Bad Id"}, "id", "should match pattern"),
        ({"tempreature": 1}, "tempreature", "unknown field"),
        ({"name": None}, "name", "valid string"),
        ({"capabilities": ["a", "a"]}, "capabilities", "duplicate capability names"),
        ({"timeout_s": 0}, "timeout_s", "greater than 0"),
        ({"model": {"provider": "gpt"}}, "model.provider", "'retrieval', 'bedrock', 'openai', 'sagemaker' or 'fake'"),
        ({"knowledge": {"passages": []}}, "<root>", "needs knowledge.passages or tools"),
    ],
)
def test_bad_specs_name_file_field_and_reason(tmp_path: Path, change: dict, field: str, reason: str) -> None:
    path = write(tmp_path, "billing.yaml", MINIMAL | change)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert field in message and reason in message, message


def test_missing_field_and_bad_yaml(tmp_path: Path) -> None:
    data = dict(MINIMAL)
    del data["description"]
    with pytest.raises(SpecError, match=r"billing.yaml: description: required field is missing"):
        load_spec(write(tmp_path, "billing.yaml", data))
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(SpecError, match=r"broken.yaml: <root>: not valid YAML"):
        load_spec(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(SpecError, match="expected a mapping"):
        load_spec(listing)


def _fallback() -> dict:
    return MINIMAL | {"id": "fallback", "name": "Fallback", "fallback": True}


def test_registry_rules(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", MINIMAL)
    with pytest.raises(SpecError, match="exactly one agent must set `fallback: true`, found 0"):
        AgentRegistry.from_directory(tmp_path)
    write(tmp_path, "fallback.yaml", _fallback())
    assert AgentRegistry.from_directory(tmp_path).fallback_id == "fallback"
    write(tmp_path, "b.yaml", MINIMAL)
    with pytest.raises(SpecError, match=r"b.yaml: id: agent id 'billing' is declared twice \(also in .*a.yaml\)"):
        AgentRegistry.from_directory(tmp_path)


def test_registry_checks_tools_and_prompt_variables(tmp_path: Path) -> None:
    write(tmp_path, "fallback.yaml", _fallback())
    path = write(tmp_path, "a.yaml", MINIMAL | {"tools": ["calculator", "teleport"]})
    with pytest.raises(SpecError, match=r"a.yaml: tools\[1\]: unknown tool 'teleport'"):
        AgentRegistry.from_directory(tmp_path)
    write(tmp_path, "a.yaml", MINIMAL | {"prompt": {"system": "You work for {{ company }}."}})
    with pytest.raises(SpecError, match=r"a.yaml: prompt.system: uses undeclared variable\(s\) company"):
        AgentRegistry.from_directory(tmp_path)
    write(
        tmp_path,
        "a.yaml",
        MINIMAL | {"prompt": {"system": "You work for {{ company }}.", "variables": {"company": "Acme"}}},
    )
    assert "billing" in AgentRegistry.from_directory(tmp_path)
    path.write_text(yaml.safe_dump(MINIMAL | {"prompt": {"system": "{% if %}"}}))
    with pytest.raises(SpecError, match="template syntax error"):
        AgentRegistry.from_directory(tmp_path)


def test_passage_capability_must_exist(tmp_path: Path) -> None:
    bad = MINIMAL | {"knowledge": {"passages": [{"id": "p", "title": "t", "text": "x", "capability": "nope"}]}}
    with pytest.raises(SpecError, match=r"knowledge.passages\[0\].capability: 'nope' is not one of"):
        load_spec(write(tmp_path, "billing.yaml", bad))


def test_schema_is_json_schema_of_the_spec() -> None:
    schema = AgentSpec.model_json_schema()
    assert schema["additionalProperties"] is False
    assert {"id", "name", "description"} <= set(schema["required"])
    assert "capabilities" in schema["properties"] and "knowledge" in schema["properties"]


def test_example_agents_mirror_clinc_domains_with_a_fallback_and_an_overlap() -> None:
    registry = AgentRegistry.from_directory(EXAMPLE_AGENTS_DIR)
    domains = {
        "banking",
        "credit_cards",
        "kitchen_and_dining",
        "home",
        "auto_and_commute",
        "travel",
        "utility",
        "work",
        "small_talk",
        "meta",
    }
    assert domains <= set(registry.ids)
    assert registry.fallback.id == "fallback"
    with_calculator = [s.id for s in registry if "calculator" in s.tools]
    assert len(with_calculator) >= 2, "two agents must be able to serve arithmetic (a real routing choice)"
    for spec in registry:
        if not spec.fallback:
            assert len(spec.capabilities) >= 3 and spec.knowledge.passages, spec.id


def test_a_spec_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecError, match=r"latin1.yaml: <root>: not UTF-8 text"):
        load_spec(path)
