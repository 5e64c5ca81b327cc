import pytest

from mastra.errors import ToolError
from mastra.tools import TOOLS, ToolContext
from mastra.tools.calculator import evaluate
from mastra.tools.calculator import extract as calc_extract
from mastra.tools.units import convert
from mastra.tools.units import extract as unit_extract


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("what is 15 times 23", 345),
        ("calculate 12% of 80", 9.6),
        ("whats 2^10", 1024),
        ("how much is five times six", 30),
        ("what is the square root of 144", 12),
        ("add 3 and 4", 7),
        ("subtract 5 from 12", 7),
        ("1,250 divided by 5 please", 250),
        ("what's a 20 percent tip on $45.50", 9.1),
    ],
)
def test_calculator_reads_arithmetic_from_messages(message: str, expected: float) -> None:
    args = calc_extract(message)
    assert args is not None
    assert TOOLS["calculator"].invoke(args).data["result"] == pytest.approx(expected)


@pytest.mark.parametrize(
    "message",
    [
        "I have 3 kids and 2 dogs",
        "set an alarm for 7:30",
        "call 555-1234",
        "what happened on 2024-05-01",
        "hello",
    ],
)
def test_calculator_ignores_messages_without_arithmetic(message: str) -> None:
    assert calc_extract(message) is None


@pytest.mark.parametrize(
    "expression",
    ["__import__('os').system('ls')", "9**9**9", "(1).__class__", "open('x')", "1/0", "a + 1", "[1]*9"],
)
def test_calculator_refuses_unsafe_or_invalid_expressions(expression: str) -> None:
    with pytest.raises(ToolError):
        evaluate(expression)


def test_tool_input_is_validated_against_its_schema() -> None:
    with pytest.raises(ToolError, match="expression"):
        TOOLS["calculator"].invoke({"expression": ""})
    schema = TOOLS["unit_converter"].input_schema
    assert schema["type"] == "object" and set(schema["required"]) == {"value", "from_unit", "to_unit"}


@pytest.mark.parametrize(
    ("message", "value"),
    [
        ("convert 5 miles to km", 8.04672),
        ("what is 30 celsius in fahrenheit", 86),
        ("how many ounces in a pound", 16),
        ("how many teaspoons in 3 tablespoons", 9),
        ("what is 100 km/h in mph", 62.137119),
    ],
)
def test_unit_converter(message: str, value: float) -> None:
    args = unit_extract(message)
    assert args is not None
    assert TOOLS["unit_converter"].invoke(args).data["result"] == pytest.approx(value, rel=1e-6)


def test_unit_converter_refuses_mismatched_dimensions() -> None:
    with pytest.raises(ToolError, match="cannot convert"):
        convert(1, "kg", "km")
    assert unit_extract("convert 5 kg to km") is None


def test_clock_resolves_cities_and_rejects_unknown_places() -> None:
    out = TOOLS["clock"].invoke({"query": "time", "timezone": "tokyo"})
    assert out.data["timezone"] == "Asia/Tokyo"
    with pytest.raises(ToolError):
        TOOLS["clock"].invoke({"timezone": "atlantis"})
    assert TOOLS["clock"].extract("what time is it in new york") == {"query": "time", "timezone": "new york"}  # type: ignore[misc]
    assert TOOLS["clock"].extract("what time does the store close") is None  # type: ignore[misc]


def test_chance_is_reproducible_per_request() -> None:
    tool = TOOLS["chance"]
    a = tool.invoke({"kind": "dice", "count": 3, "sides": 20}, ToolContext(request_id="r1"))
    b = tool.invoke({"kind": "dice", "count": 3, "sides": 20}, ToolContext(request_id="r1"))
    assert a == b and all(1 <= r <= 20 for r in a.data["results"])
    assert tool.extract("roll a d20") == {"kind": "dice", "count": 1, "sides": 20}  # type: ignore[misc]
    assert tool.extract("flip a coin") == {"kind": "coin", "count": 1}  # type: ignore[misc]


def test_calculator_is_exact_on_whole_numbers_and_survives_pathological_input() -> None:
    out = TOOLS["calculator"].invoke({"expression": "9999999999999999999999 * 99999999999999999999"})
    assert out.data["result"] == 9999999999999999999999 * 99999999999999999999
    assert calc_extract("1*" + "-" * 5000 + "1") is None
    with pytest.raises(ToolError, match="longer than"):
        evaluate("(" * 150 + "1" + ")" * 150)
