"""Validate every state machine in template.yaml with the `asl-validator` npm package.

    python infra/validate_asl.py [--validator PATH]

moto runs broken definitions happily (a ``Next`` naming no state passes), so CI checks each
``statemachines/*.asl.json`` with a real validator. Each file is checked as CloudFormation would
deploy it: the template's ``DefinitionSubstitutions`` applied (placeholders left over, or
substitutions the file never uses, are errors too). Before trusting a pass, the validator must
reject a copy with a dangling ``Next``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from infra.cfn import TEMPLATE, resources_of_type

REPO = TEMPLATE.parent
LOCAL_VALIDATOR = REPO / ".ci" / "node" / "node_modules" / ".bin" / "asl-validator"
PLACEHOLDER = re.compile(r"\$\{([\w.]+)\}")


def find_validator() -> str | None:
    explicit = os.environ.get("ASL_VALIDATOR")
    if explicit:
        return explicit
    if LOCAL_VALIDATOR.exists():
        return str(LOCAL_VALIDATOR)
    return shutil.which("asl-validator")


def _arn_for(value: Any) -> str:
    """A well-formed ARN standing in for ``!GetAtt Function.Arn`` (or a literal string)."""
    if isinstance(value, str):
        return value
    target = value.get("!GetAtt") or value.get("!Ref") or "Resource"
    logical = target.split(".")[0] if isinstance(target, str) else target[0]
    return f"arn:aws:lambda:us-east-1:123456789012:function:{logical}"


def substituted(path: Path, substitutions: dict[str, Any]) -> str:
    """The definition as deployed; raises ValueError on placeholders and substitutions that do not match."""
    text = path.read_text()
    used = set(PLACEHOLDER.findall(text))
    if missing := used - set(substitutions):
        raise ValueError(f"{path.name}: no substitution for {sorted(missing)}")
    if unused := set(substitutions) - used:
        raise ValueError(f"{path.name}: substitutions never used: {sorted(unused)}")
    return PLACEHOLDER.sub(lambda m: _arn_for(substitutions[m.group(1)]), text)


def machines() -> list[tuple[str, Path, dict[str, Any]]]:
    out = []
    for name, res in resources_of_type("AWS::Serverless::StateMachine").items():
        props = res["Properties"]
        out.append((name, REPO / props["DefinitionUri"], props.get("DefinitionSubstitutions", {})))
    return out


def run_validator(validator: str, definition: str, workdir: Path, name: str) -> subprocess.CompletedProcess[str]:
    path = workdir / f"{name}.asl.json"
    path.write_text(definition)
    return subprocess.run([validator, "--json-path", str(path)], capture_output=True, text=True, timeout=120)


def with_dangling_next(definition: str) -> str:
    doc = json.loads(definition)
    start = doc["States"][doc["StartAt"]]
    start.pop("End", None)
    start["Next"] = "NoSuchState"
    return json.dumps(doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validator", default=None, help="asl-validator executable (default: .ci/node or PATH)")
    args = parser.parse_args()
    validator = args.validator or find_validator()
    if not validator:
        print("asl-validator not found: npm install --prefix .ci/node asl-validator", file=sys.stderr)
        return 2
    committed = {p.resolve() for p in (REPO / "statemachines").glob("*.asl.json")}
    found = machines()
    if unreferenced := committed - {p.resolve() for _, p, _ in found}:
        print(f"state machines not in template.yaml: {sorted(map(str, unreferenced))}", file=sys.stderr)
        return 1
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, path, subs in found:
            try:
                definition = substituted(path, subs)
            except ValueError as exc:
                print(f"FAIL {name}: {exc}")
                failures += 1
                continue
            broken = run_validator(validator, with_dangling_next(definition), work, f"{name}-broken")
            if broken.returncode == 0:
                print(f"FAIL {name}: the validator accepted a dangling Next; not trusting it")
                failures += 1
                continue
            result = run_validator(validator, definition, work, name)
            if result.returncode != 0:
                print(f"FAIL {name} ({path.relative_to(REPO)}):\n{result.stdout}{result.stderr}")
                failures += 1
            else:
                print(f"ok   {name} ({path.relative_to(REPO)})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
