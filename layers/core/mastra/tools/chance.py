"""Coin flips and dice rolls, reproducible per request (seeded by the request id)."""

from __future__ import annotations

import random
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mastra.tools.base import ToolContext, ToolOutput, tool


class ChanceInput(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built when the tool is first called

    kind: Literal["coin", "dice"] = Field(description="Flip coins or roll dice.")
    count: int = Field(1, ge=1, le=20, description="How many coins or dice.")
    sides: int = Field(6, ge=2, le=1000, description="Sides per die (ignored for coins).")


def extract(message: str) -> dict[str, Any] | None:
    text = message.lower()
    if re.search(r"\b(flip|toss)\b.*\bcoins?\b|\bheads or tails\b", text):
        m = re.search(r"\b(\d+)\s+coins\b", text)
        return {"kind": "coin", "count": int(m.group(1)) if m else 1}
    if re.search(r"\b(roll|throw)\b.*\b(dice|die|d\d+)\b|\broll a d\d+", text):
        count = re.search(r"\b(\d+)\s+(?:dice|die|d\d+)", text)
        sides = re.search(r"\bd(\d+)\b|(\d+)[- ]sided", text)
        n_sides = int(next(g for g in sides.groups() if g)) if sides else 6
        return {"kind": "dice", "count": int(count.group(1)) if count else 1, "sides": n_sides}
    return None


@tool("chance", "Flip coins or roll dice.", ChanceInput, extract=extract)
def chance(args: ChanceInput, ctx: ToolContext) -> ToolOutput:
    rng = random.Random(f"{ctx.request_id}:{args.kind}:{args.count}:{args.sides}")
    if args.kind == "coin":
        flips = [rng.choice(("heads", "tails")) for _ in range(args.count)]
        return ToolOutput(text=f"It's {', '.join(flips)}.", data={"results": flips})
    rolls = [rng.randint(1, args.sides) for _ in range(args.count)]
    total = f" (total {sum(rolls)})" if len(rolls) > 1 else ""
    return ToolOutput(
        text=f"You rolled {', '.join(map(str, rolls))}{total} on d{args.sides}.",
        data={"results": rolls, "sides": args.sides},
    )
