"""System prompt templates: Jinja2 in a sandbox, with only declared variables.

Jinja2 is imported on first use: the offline provider never renders a prompt, and the import costs
~40 ms of cold start.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

    from mastra.spec.models import AgentSpec

BUILTIN_VARIABLES = frozenset({"agent", "user_id", "today"})


@cache
def _environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def check_template(source: str, declared: set[str]) -> str | None:
    """Return why ``source`` is not a valid prompt template, or None if it is."""
    from jinja2 import TemplateSyntaxError, meta

    env = _environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return f"template syntax error on line {exc.lineno}: {exc.message}"
    unknown = sorted(meta.find_undeclared_variables(ast) - BUILTIN_VARIABLES - declared)
    if unknown:
        return f"uses undeclared variable(s) {', '.join(unknown)} (declare them under prompt.variables)"
    return None


@cache
def _compiled(source: str) -> Any:
    return _environment().from_string(source)


def render_system_prompt(spec: AgentSpec, *, user_id: str) -> str:
    """Render an agent's system prompt for one request."""
    context: dict[str, Any] = dict(spec.prompt.variables)
    context.update(
        agent={"id": spec.id, "name": spec.name, "description": spec.description},
        user_id=user_id,
        today=dt.date.today().isoformat(),
    )
    return str(_compiled(spec.prompt.system).render(context)).strip()
