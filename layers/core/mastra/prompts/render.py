"""Prompt templates: Jinja2 in an immutable sandbox, with only declared (or built-in) variables.

Jinja2 is imported on first use: the offline provider never renders a prompt, and the import costs
~40 ms of cold start. Every failure (syntax, a missing, mistyped or undeclared variable, a blocked
attribute such as ``''.__class__``) is raised as :class:`~mastra.errors.PromptRenderError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from mastra.errors import PromptRenderError
from mastra.prompts.models import BUILTIN_VARIABLES, Variable

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import ImmutableSandboxedEnvironment

#: Globals kept from Jinja2's defaults; cycler, joiner and lipsum are dropped (nothing needs them,
#: and fewer objects in reach means fewer ways to probe the sandbox).
_GLOBALS = ("range", "dict", "namespace")
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "list": (list, tuple),
    "object": (dict,),
}


MAX_POWER = 64  # largest exponent of ``**``
MAX_REPEAT_CHARS = 100_000  # largest string or list a template may build by ``*``


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Bounded(ImmutableSandboxedEnvironment):
        """``**`` and ``*`` are checked at run time (an intercepted operator is never folded at compile
        time either): ``{{ 9**9**9**9 }}`` or ``{{ 'x' * 10**10 }}`` would otherwise hang or exhaust a worker."""

        intercepted_binops = frozenset({"**", "*"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            numbers = isinstance(right, int | float) and isinstance(left, int | float)
            if operator == "**" and numbers and (abs(right) > MAX_POWER or abs(left) > 2**64):
                raise SecurityError(f"a power above 2**64 ** {MAX_POWER} is not allowed")
            sized = left if isinstance(left, str | list | tuple) else right
            count = right if sized is left else left
            repeated = isinstance(sized, str | list | tuple) and isinstance(count, int)
            if operator == "*" and repeated and len(sized) * count > MAX_REPEAT_CHARS:
                raise SecurityError(f"a repeated value longer than {MAX_REPEAT_CHARS} is not allowed")
            return super().call_binop(context, operator, left, right)

    # Immutable: a template cannot change the lists and dicts it is given (``x.append``).
    env = Bounded(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.globals = {k: v for k, v in env.globals.items() if k in _GLOBALS}
    return env


def undeclared(source: str, declared: Iterable[str]) -> list[str]:
    """Names ``source`` uses that are neither declared nor built in (raises on a syntax error)."""
    from jinja2 import TemplateSyntaxError, meta

    try:
        ast = _environment().parse(source)
    except TemplateSyntaxError as exc:
        raise PromptRenderError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    return sorted(meta.find_undeclared_variables(ast) - BUILTIN_VARIABLES - set(declared))


def check_template(source: str, declared: set[str]) -> str | None:
    """Return why ``source`` is not a valid prompt template, or None if it is."""
    try:
        unknown = undeclared(source, declared)
    except PromptRenderError as exc:
        return exc.message
    if unknown:
        return f"uses undeclared variable(s) {', '.join(unknown)} (declare them under prompt.variables)"
    return None


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    from jinja2 import TemplateSyntaxError

    try:
        return _environment().from_string(source)
    except TemplateSyntaxError as exc:
        raise PromptRenderError(f"template syntax error on line {exc.lineno}: {exc.message}") from None


def _type_ok(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False  # bool is an int in Python, never in a prompt
    return isinstance(value, _PY_TYPES[kind])


def check_values(
    declared: Iterable[Variable], values: Mapping[str, Any], *, allow_extra: bool = True
) -> dict[str, Any]:
    """The declared variables' values, checked: a required one missing, or one of the wrong type,
    is an error; an optional one missing is ``None``. Extra names are an error unless ``allow_extra``."""
    variables = list(declared)
    out: dict[str, Any] = {}
    missing, wrong = [], []
    for var in variables:
        if var.name not in values or values[var.name] is None:
            if var.required:
                missing.append(var.name)
            out[var.name] = None
        elif not _type_ok(values[var.name], var.type):
            wrong.append(f"{var.name} must be {var.type}, not {type(values[var.name]).__name__}")
        else:
            out[var.name] = values[var.name]
    problems = []
    if missing:
        problems.append(f"missing variable(s) {', '.join(missing)}")
    if wrong:
        problems.extend(wrong)
    if not allow_extra:
        extra = sorted(set(values) - {v.name for v in variables} - BUILTIN_VARIABLES)
        if extra:
            problems.append(f"undeclared variable(s) {', '.join(extra)} (the prompt version does not declare them)")
    if problems:
        raise PromptRenderError("; ".join(problems), details={"variables": [v.name for v in variables]})
    return out


def validate_template(source: str, declared: Iterable[Variable]) -> None:
    """Raise unless ``source`` compiles and only uses declared or built-in variables."""
    _compiled(source)  # compiling (not only parsing) at creation: what fails to compile never reaches a request
    unknown = undeclared(source, [v.name for v in declared])
    if unknown:
        raise PromptRenderError(
            f"the template uses undeclared variable(s) {', '.join(unknown)}: declare them, or use a built-in "
            f"({', '.join(sorted(BUILTIN_VARIABLES))})",
            details={"undeclared": unknown},
        )


def render(
    source: str,
    declared: Iterable[Variable],
    values: Mapping[str, Any],
    builtins: Mapping[str, Any],
    *,
    allow_extra: bool = True,
) -> str:
    """Render ``source`` with the checked ``values`` and the built-in variables.

    >>> render("Hi {{ name }}", [Variable(name="name")], {"name": "Ada"}, {})
    'Hi Ada'
    """
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError

    declared = list(declared)
    validate_template(source, declared)
    context = dict(builtins)
    context.update(check_values(declared, values, allow_extra=allow_extra))
    try:
        return str(_compiled(source).render(context)).strip()
    except SecurityError as exc:
        raise PromptRenderError(f"the template tried to leave the sandbox: {exc}") from None
    except TemplateError as exc:
        raise PromptRenderError(f"the template failed to render: {exc}") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, MemoryError) as exc:  # {{ 1 / 0 }}, a huge range
        raise PromptRenderError(f"the template failed to render: {type(exc).__name__}: {exc}") from None
