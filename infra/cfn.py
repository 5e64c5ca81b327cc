"""template.yaml as data: CloudFormation's short-form tags (!Ref, !GetAtt, !Sub ...) read as tagged values."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that reads ``!Tag value`` as ``{"!Tag": value}``."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"!{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tagged)


@cache
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # type: ignore[no-any-return]


def resource(logical_id: str) -> dict[str, Any]:
    return template()["Resources"][logical_id]  # type: ignore[no-any-return]


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}
