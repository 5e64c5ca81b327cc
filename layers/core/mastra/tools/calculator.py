"""Arithmetic on a safe subset of Python expressions (numbers, + - * / // % **, sqrt, parentheses).

Whole numbers stay exact (Python integers); division and decimals use double precision.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mastra.errors import ToolError
from mastra.tools.base import ToolContext, ToolOutput, tool
from mastra.tools.numbers import fmt, replace_number_words

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {"sqrt": math.sqrt, "abs": abs, "round": round}
_MAX_MAGNITUDE = 1e100
MAX_EXPRESSION_CHARS = 200


class CalculatorInput(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built when the tool is first called

    expression: str = Field(
        min_length=1,
        max_length=MAX_EXPRESSION_CHARS,
        description="Arithmetic expression, e.g. '(12.5 + 3) * 4' or 'sqrt(2)'.",
    )


Number = int | float


def evaluate(expression: str) -> Number:
    """Evaluate an arithmetic expression without ``eval``.

    >>> evaluate("2 * (3 + 4) ** 2")
    98
    """
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"calculator: expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
        return _eval(tree.body)
    except SyntaxError:
        raise ToolError(f"calculator: {expression!r} is not an arithmetic expression") from None
    except (RecursionError, MemoryError):
        raise ToolError("calculator: expression nested too deeply") from None


def _eval(node: ast.AST) -> Number:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 1000 or (abs(left) > 1e6 and abs(right) > 20)):
            raise ToolError("calculator: exponent too large")
        try:
            result = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ToolError("calculator: division by zero") from None
        except (OverflowError, ValueError) as exc:
            raise ToolError(f"calculator: {exc}") from None
        if isinstance(result, complex) or abs(result) > _MAX_MAGNITUDE:
            raise ToolError("calculator: result out of range")
        return result  # type: ignore[no-any-return]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        try:
            return float(_FUNCTIONS[node.func.id](_eval(node.args[0])))
        except ValueError:
            raise ToolError(f"calculator: {node.func.id} of a negative number") from None
    raise ToolError(f"calculator: unsupported syntax {type(node).__name__}")


_PHRASES = [
    (r"\bsquare root of\s*([\d.]+)", r" sqrt(\1) "),
    (r"\b([\d.]+)\s*(?:%|percent)\s*(?:tip\s*)?(?:of|on|for)\s*(?:a\s*)?(?:bill of\s*)?", r" (\1/100)* "),
    (r"\b(?:add|sum of)\s*([\d.]+)\s*(?:and|to|plus)\s*([\d.]+)", r" \1 + \2 "),
    (r"\bsubtract\s*([\d.]+)\s*from\s*([\d.]+)", r" \2 - \1 "),
    (r"\bmultiply\s*([\d.]+)\s*(?:by|and|with)\s*([\d.]+)", r" \1 * \2 "),
    (r"\bdivide\s*([\d.]+)\s*by\s*([\d.]+)", r" \1 / \2 "),
    (r"\bmultiplied by\b|\btimes\b|(?<=\d)\s*[x×]\s*(?=\d)", " * "),
    (r"\bdivided by\b|\bover\b|÷", " / "),
    (r"\bplus\b|\badded to\b", " + "),
    (r"\bminus\b|\bless\b", " - "),
    (r"\bto the power of\b|\braised to(?: the power of)?\b", " ** "),
    (r"\bsquared\b", " ** 2 "),
    (r"\bcubed\b", " ** 3 "),
    (r"\bmod(?:ulo)?\b", " % "),
]
_EXPRESSION = re.compile(r"[\d.()+\-*/%^ ]*(?:sqrt\()?[\d.()+\-*/%^ ]+")


def extract(message: str) -> dict[str, Any] | None:
    """Find an arithmetic expression in a message (``"what's 15 times 23"`` -> ``15 * 23``)."""
    if len(message) > 2000:  # an arithmetic question is short; don't parse essays
        return None
    text = replace_number_words(message.lower())
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text).replace("$", "")
    for pattern, repl in _PHRASES:
        text = re.sub(pattern, repl, text)
    best = ""
    for m in re.finditer(r"(?:sqrt\(|[\d.(])[\d.()+\-*/%^ sqrt]*", text):
        candidate = m.group(0).strip()
        while candidate and candidate[-1] in "+-*/%^ (":
            candidate = candidate[:-1].rstrip()
        if len(candidate) > len(best):
            best = candidate
    has_operation = re.search(r"\d\s*[-+*/%^]\s*[\d(s]|sqrt\(", best)
    if not best or not has_operation:
        return None
    if best.count("(") != best.count(")") or _looks_like_identifier(best):
        return None
    try:
        evaluate(best)
    except ToolError:
        return None
    return {"expression": re.sub(r"\s+", " ", best)}


def pretty(expression: str) -> str:
    """``"(18/100)*240"`` -> ``"(18 ÷ 100) × 240"``."""
    text = re.sub(r"\s+", "", expression).replace("**", "^")
    text = re.sub(r"(?<=[\d)])(//|[-+*/%^])", r" \1 ", text)  # binary operators: after a number or ")"
    return re.sub(r"(?<!/)/(?!/)", "÷", text.replace("*", "×"))


def _looks_like_identifier(candidate: str) -> bool:
    """Dates, phone numbers and codes ("2024-05-01", "555-1234", "1/2/3") are not subtractions."""
    if not re.fullmatch(r"\d+(?:[-/]\d+)+", candidate):
        return False
    parts = re.split(r"[-/]", candidate)
    return len(parts) > 2 or sum(len(p) for p in parts) >= 5


@tool(
    "calculator",
    "Evaluate an arithmetic expression (whole numbers exactly). "
    "Supports + - * / // % ** (or ^), parentheses and sqrt().",
    CalculatorInput,
    extract=extract,
)
def calculator(args: CalculatorInput, ctx: ToolContext) -> ToolOutput:
    value = evaluate(args.expression)
    shown = pretty(args.expression)
    return ToolOutput(text=f"{shown} = {fmt(value)}", data={"expression": args.expression, "result": value})
