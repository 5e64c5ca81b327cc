"""Prompt templates: variable checks, the sandbox, A/B hashing and spec references (no storage)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mastra.errors import PromptRenderError
from mastra.prompts import PromptChoice, Variable, bucket, parse_ref
from mastra.prompts.render import render

DECLARED = [
    Variable(name="name", type="string"),
    Variable(name="count", type="integer"),
    Variable(name="ratio", type="number", required=False),
    Variable(name="vip", type="boolean", required=False),
    Variable(name="items", type="list", required=False),
    Variable(name="profile", type="object", required=False),
]


def test_renders_declared_and_builtin_variables() -> None:
    text = render(
        "{{ agent.name }} for {{ user_id }}: {{ name }} x{{ count }}{% if vip %} (vip){% endif %}"
        "{% for i in items %} {{ i }}{% endfor %} {{ profile.city }} {{ summary }}",
        DECLARED,
        {"name": "Ada", "count": 2, "vip": True, "items": ["a", "b"], "profile": {"city": "Oslo"}},
        {"agent": {"name": "Banking"}, "user_id": "u1", "summary": "earlier"},
    )
    assert text == "Banking for u1: Ada x2 (vip) a b Oslo earlier"


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"count": 1}, "missing variable(s) name"),
        ({"name": "Ada"}, "missing variable(s) count"),
        ({"name": 5, "count": 1}, "name must be string, not int"),
        ({"name": "Ada", "count": "1"}, "count must be integer, not str"),
        ({"name": "Ada", "count": True}, "count must be integer, not bool"),
        ({"name": "Ada", "count": 1, "ratio": "high"}, "ratio must be number"),
        ({"name": "Ada", "count": 1, "items": "a,b"}, "items must be list"),
        ({"name": "Ada", "count": 1, "profile": []}, "profile must be object"),
    ],
)
def test_missing_or_mistyped_variables_are_clear_errors(values: dict[str, object], reason: str) -> None:
    with pytest.raises(PromptRenderError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        render("{{ name }} {{ count }}", DECLARED, values, {})


def test_undeclared_variable_and_syntax_errors() -> None:
    with pytest.raises(PromptRenderError, match=r"undeclared variable.*company"):
        render("You work for {{ company }}.", DECLARED, {"name": "a", "count": 1}, {})
    with pytest.raises(PromptRenderError, match="syntax error on line 1"):
        render("{% if %}", [], {}, {})
    with pytest.raises(PromptRenderError, match="syntax error"):
        render("{{ name ", DECLARED, {"name": "a", "count": 1}, {})
    with pytest.raises(PromptRenderError, match="undeclared variable"):  # extra values are refused when strict
        render("Hi", [], {"stray": 1}, {}, allow_extra=False)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ x.__class__.__base__.__subclasses__() }}",
        "{{ x.__init__.__globals__ }}",
        "{{ ''.format.__globals__ }}",
        "{{ 'a{0.__class__}'.format(x) }}",
        "{{ x|attr('__class__') }}",
        "{{ x.append(1) }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ range.__self__ }}",
        "{{ (x.pop)() }}",
    ],
)
def test_sandbox_escapes_fail_with_a_clear_error(template: str) -> None:
    with pytest.raises(PromptRenderError, match=r"sandbox|failed to render"):
        render(template, [Variable(name="x", type="list")], {"x": [1]}, {})


@pytest.mark.parametrize(
    "template",
    ["{{ cycler.__init__.__globals__ }}", "{{ joiner.__init__.__globals__.os }}", "{{ lipsum.__globals__ }}"],
)
def test_dangerous_globals_are_not_reachable(template: str) -> None:
    with pytest.raises(PromptRenderError):
        render(template, [], {}, {})


def test_resource_abuse_is_a_render_error() -> None:
    with pytest.raises(PromptRenderError, match=r"Range too big|failed to render"):
        render("{{ range(10**9)|list|length }}", [], {}, {})
    with pytest.raises(PromptRenderError, match="ZeroDivisionError"):
        render("{{ 1 / 0 }}", [], {}, {})


def test_prompt_choice_adds_builtins_and_memory_variables() -> None:
    choice = PromptChoice(
        ref="p@1",
        template="{{ agent.id }}/{{ user_id }}/{{ tone }}/{{ working_memory.city }}/{{ recalled[0].content }}",
        agent={"id": "banking", "name": "Banking", "description": "d"},
        user_id="u1",
        declared=(Variable(name="tone"),),
        values={"tone": "calm"},
    )
    text = choice.render(
        {"working_memory": {"city": "Oslo"}, "recalled": [{"role": "user", "content": "hi", "score": 1}]}
    )
    assert text == "banking/u1/calm/Oslo/hi"
    assert choice.use().ref == "p@1"


def test_parse_ref() -> None:
    assert parse_ref("banking@production") == ("banking", "production", None)
    assert parse_ref("banking@12") == ("banking", None, 12)
    for bad in ("banking", "Banking@x", "banking@", "banking@1x"):
        with pytest.raises(Exception, match="bad prompt reference"):
            parse_ref(bad)


def test_bucket_is_sha256_and_stable_across_processes() -> None:
    """Not Python's ``hash``: a different PYTHONHASHSEED in another process gives the same buckets."""
    users = [f"user-{i}" for i in range(20)]
    here = [bucket("banking", "production", u) for u in users]
    code = f"from mastra.prompts import bucket; print([bucket('banking', 'production', u) for u in {users!r}])"
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert eval(out.stdout) == here
    assert all(0 <= b < 1 for b in here)
    assert bucket("banking", "production", "u") != bucket("banking", "staging", "u")


def test_spec_prompt_is_a_ref_or_an_inline_template() -> None:
    from pydantic import ValidationError

    from mastra.spec.models import DEFAULT_SYSTEM_PROMPT, PromptSpec

    assert PromptSpec().system == DEFAULT_SYSTEM_PROMPT and PromptSpec().ref is None
    ref = PromptSpec.model_validate({"ref": "banking@production", "variables": {"tone": "calm"}})
    assert (ref.ref, ref.system) == ("banking@production", None)
    assert PromptSpec.model_validate({"ref": "banking@3"}).ref == "banking@3"
    with pytest.raises(ValidationError, match="not both"):
        PromptSpec.model_validate({"ref": "banking@production", "system": "Hi"})
    with pytest.raises(ValidationError, match="pattern"):
        PromptSpec.model_validate({"ref": "banking"})


@pytest.mark.parametrize(
    "template",
    ["{{ 'x' * 10**10 }}", "{{ [1] * 10**9 }}", "{{ 10 ** 1000 }}", "{{ (((10**64)**64)**64)**64 }}"],
)
def test_templates_cannot_exhaust_a_worker(template: str) -> None:
    with pytest.raises(PromptRenderError):
        render(template, [], {}, {})
