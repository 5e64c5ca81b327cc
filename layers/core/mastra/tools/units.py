"""Unit conversion for length, mass, volume, temperature, speed, area, time and data.

A table of factors is written out here rather than using ``pint``: pint builds its registry at
import (hundreds of milliseconds) for far more units than an assistant needs.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mastra.errors import ToolError
from mastra.tools.base import ToolContext, ToolOutput, tool
from mastra.tools.numbers import fmt, replace_number_words

# unit: (dimension, factor to the dimension's base unit, display name, aliases)
_TABLE: dict[str, tuple[str, float, str, tuple[str, ...]]] = {
    "m": ("length", 1.0, "meters", ("meter", "meters", "metre", "metres")),
    "km": (
        "length",
        1000.0,
        "kilometers",
        ("kilometer", "kilometers", "kilometre", "kilometres", "kms", "k"),
    ),
    "cm": ("length", 0.01, "centimeters", ("centimeter", "centimeters", "centimetre", "centimetres")),
    "mm": ("length", 0.001, "millimeters", ("millimeter", "millimeters", "millimetre", "millimetres")),
    "mi": ("length", 1609.344, "miles", ("mile", "miles")),
    "yd": ("length", 0.9144, "yards", ("yard", "yards", "yds")),
    "ft": ("length", 0.3048, "feet", ("foot", "feet", "'")),
    "in": ("length", 0.0254, "inches", ("inch", "inches", '"')),
    "nmi": ("length", 1852.0, "nautical miles", ("nautical mile", "nautical miles")),
    "kg": ("mass", 1.0, "kilograms", ("kilogram", "kilograms", "kilo", "kilos", "kgs")),
    "g": ("mass", 0.001, "grams", ("gram", "grams", "gr")),
    "mg": ("mass", 1e-6, "milligrams", ("milligram", "milligrams")),
    "lb": ("mass", 0.45359237, "pounds", ("pound", "pounds", "lbs")),
    "oz": ("mass", 0.028349523125, "ounces", ("ounce", "ounces")),
    "st": ("mass", 6.35029318, "stone", ("stone", "stones")),
    "t": ("mass", 1000.0, "metric tons", ("tonne", "tonnes", "metric ton", "metric tons")),
    "l": ("volume", 1.0, "liters", ("liter", "liters", "litre", "litres", "ltr")),
    "ml": ("volume", 0.001, "milliliters", ("milliliter", "milliliters", "millilitre", "millilitres")),
    "gal": ("volume", 3.785411784, "US gallons", ("gallon", "gallons")),
    "qt": ("volume", 0.946352946, "US quarts", ("quart", "quarts")),
    "pt": ("volume", 0.473176473, "US pints", ("pint", "pints")),
    "cup": ("volume", 0.2365882365, "US cups", ("cups",)),
    "floz": ("volume", 0.0295735295625, "US fluid ounces", ("fl oz", "fluid ounce", "fluid ounces")),
    "tbsp": ("volume", 0.01478676478125, "tablespoons", ("tablespoon", "tablespoons")),
    "tsp": ("volume", 0.00492892159375, "teaspoons", ("teaspoon", "teaspoons")),
    "c": ("temperature", 1.0, "°C", ("celsius", "centigrade", "degrees celsius", "degrees c", "°c")),
    "f": ("temperature", 1.0, "°F", ("fahrenheit", "degrees fahrenheit", "degrees f", "°f")),
    "k": ("temperature", 1.0, "kelvin", ("kelvin", "kelvins")),
    "mps": ("speed", 1.0, "m/s", ("m/s", "meters per second", "metres per second")),
    "kmh": ("speed", 1 / 3.6, "km/h", ("km/h", "kph", "kilometers per hour", "kilometres per hour")),
    "mph": ("speed", 0.44704, "mph", ("miles per hour",)),
    "knot": ("speed", 0.514444, "knots", ("knots",)),
    "m2": (
        "area",
        1.0,
        "square meters",
        ("square meter", "square meters", "square metre", "square metres", "sqm"),
    ),
    "ft2": ("area", 0.09290304, "square feet", ("square foot", "square feet", "sq ft", "sqft")),
    "acre": ("area", 4046.8564224, "acres", ("acres",)),
    "ha": ("area", 10000.0, "hectares", ("hectare", "hectares")),
    "s": ("time", 1.0, "seconds", ("sec", "secs", "second", "seconds")),
    "min": ("time", 60.0, "minutes", ("mins", "minute", "minutes")),
    "h": ("time", 3600.0, "hours", ("hr", "hrs", "hour", "hours")),
    "day": ("time", 86400.0, "days", ("days",)),
    "week": ("time", 604800.0, "weeks", ("weeks", "wk", "wks")),
    "b": ("data", 1.0, "bytes", ("byte", "bytes")),
    "kb": ("data", 1e3, "kilobytes", ("kilobyte", "kilobytes")),
    "mb": ("data", 1e6, "megabytes", ("megabyte", "megabytes")),
    "gb": ("data", 1e9, "gigabytes", ("gigabyte", "gigabytes", "gig", "gigs")),
    "tb": ("data", 1e12, "terabytes", ("terabyte", "terabytes")),
}
_ALIASES: dict[str, str] = {}
for _code, (_dim, _f, _name, _aliases) in _TABLE.items():
    for _alias in (_code, *_aliases):
        _ALIASES[_alias] = _code
# Longest aliases first, so "fluid ounces" wins over "ounces" and "square feet" over "feet".
_UNIT_RE = "|".join(re.escape(a) for a in sorted(_ALIASES, key=len, reverse=True) if len(a) > 1 or a in "mglcfk")


def unit_code(name: str) -> str:
    code = _ALIASES.get(name.strip().lower().replace("degrees ", "degrees "))
    if code is None:
        raise ToolError(f"unit_converter: unknown unit {name!r}")
    return code


def _to_kelvin(value: float, unit: str) -> float:
    return {"c": value + 273.15, "f": (value - 32) * 5 / 9 + 273.15, "k": value}[unit]


def _from_kelvin(value: float, unit: str) -> float:
    return {"c": value - 273.15, "f": (value - 273.15) * 9 / 5 + 32, "k": value}[unit]


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` between two units of the same dimension.

    >>> round(convert(10, "miles", "km"), 3)
    16.093
    """
    src, dst = unit_code(from_unit), unit_code(to_unit)
    (dim_s, f_s, *_), (dim_d, f_d, *_) = _TABLE[src], _TABLE[dst]
    if dim_s != dim_d:
        raise ToolError(f"unit_converter: cannot convert {dim_s} ({from_unit}) to {dim_d} ({to_unit})")
    if dim_s == "temperature":
        return _from_kelvin(_to_kelvin(value, src), dst)
    return value * f_s / f_d


def _label(code: str, value: float) -> str:
    name = _TABLE[code][2]
    if value != 1 or "/" in name or not name.endswith("s"):
        return name
    return {"feet": "foot", "inches": "inch"}.get(name, name[:-1])


class UnitConverterInput(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built when the tool is first called

    value: float = Field(description="The quantity to convert.")
    from_unit: str = Field(min_length=1, max_length=40, description="Unit of the value, e.g. 'miles'.")
    to_unit: str = Field(min_length=1, max_length=40, description="Target unit, e.g. 'km'.")


_NUM = r"(-?\d+(?:\.\d+)?|a|an|one)"
_PATTERNS = [
    # "convert 5 miles to km", "what is 30 celsius in fahrenheit", "10 lbs into kg"
    re.compile(rf"{_NUM}\s*({_UNIT_RE})\b\s*(?:to|in|into|as|=|equals|is how many|in how many)\s*({_UNIT_RE})\b"),
    # "how many ounces in a pound", "how many cm are in 3 feet"
    re.compile(
        rf"how many\s+({_UNIT_RE})\b\s*(?:are|is)?\s*(?:there\s*)?in\s*(?:a|an|one)?\s*{_NUM}?\s*({_UNIT_RE})\b"
    ),
]


def extract(message: str) -> dict[str, Any] | None:
    """Find a conversion request (``"convert 5 miles to km"``) in a message."""
    text = replace_number_words(message.lower()).replace(",", "")
    m = _PATTERNS[0].search(text)
    if m:
        raw, src, dst = m.groups()
    else:
        m = _PATTERNS[1].search(text)
        if not m:
            return None
        dst, raw, src = m.groups()
        raw = raw or "1"
    value = 1.0 if raw in ("a", "an", "one") else float(raw)
    try:
        convert(value, src, dst)
    except ToolError:
        return None
    return {"value": value, "from_unit": src, "to_unit": dst}


@tool(
    "unit_converter",
    "Convert a quantity between units of length, mass, volume, temperature, speed, area, time or data.",
    UnitConverterInput,
    extract=extract,
)
def unit_converter(args: UnitConverterInput, ctx: ToolContext) -> ToolOutput:
    result = convert(args.value, args.from_unit, args.to_unit)
    src, dst = _label(unit_code(args.from_unit), args.value), _label(unit_code(args.to_unit), result)
    return ToolOutput(
        text=f"{fmt(args.value)} {src} = {fmt(result)} {dst}",
        data={"value": args.value, "from_unit": src, "to_unit": dst, "result": result},
    )
