"""Current date and time, anywhere (IANA time zones from the standard library's zoneinfo)."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field

from mastra.errors import ToolError
from mastra.tools.base import ToolContext, ToolOutput, tool


class ClockInput(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built when the tool is first called

    query: Literal["time", "date"] = Field("time", description="Whether the user asks for the time or the date.")
    timezone: str | None = Field(
        None, max_length=64, description="IANA zone ('Asia/Tokyo') or a city name ('tokyo'); omit for UTC."
    )


@cache
def _cities() -> dict[str, str]:
    """'new york' -> 'America/New_York', from the last component of every IANA zone name."""
    out: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            out.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").lower(), zone)
    return out


def resolve_zone(name: str | None) -> ZoneInfo:
    if not name:
        return ZoneInfo("UTC")
    key = name.strip()
    zone = _cities().get(key.lower(), key)
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolError(f"clock: unknown time zone or city {name!r}") from None


_TIME = re.compile(
    r"\b(what time is it|what time in|time is it|current time|time now|what's the time|whats the time|"
    r"tell me the time|time right now)\b"
)
_DATE = re.compile(r"\b(what day|today's date|todays date|the date|what date|date today|day of the week)\b")


def extract(message: str) -> dict[str, Any] | None:
    """``"what time is it in tokyo"`` -> ``{"query": "time", "timezone": "tokyo"}``."""
    text = message.lower().replace("’", "'")
    if _TIME.search(text):
        query = "time"
    elif _DATE.search(text):
        query = "date"
    else:
        return None
    m = re.search(r"\bin\s+([a-z][a-z .'-]{1,40}?)\s*(?:right now|now|today|\?|$)", text)
    place = m.group(1).strip() if m else None
    if place and place.lower() not in _cities():
        place = None
    return {"query": query, "timezone": place}


@tool(
    "clock",
    "Tell the current time or date in a time zone or city (UTC when no place is given).",
    ClockInput,
    extract=extract,
)
def clock(args: ClockInput, ctx: ToolContext) -> ToolOutput:
    zone = resolve_zone(args.timezone)
    now = dt.datetime.now(zone)
    where = f" in {args.timezone.title()}" if args.timezone else " (UTC)"
    if args.query == "date":
        text = f"Today is {now:%A, %B} {now.day}, {now.year}{where}."
    else:
        text = f"It is {now:%H:%M}{where}, {now:%A}."
    return ToolOutput(text=text, data={"iso": now.isoformat(), "timezone": zone.key})
