"""What the trace records about memory (imported by every step: keep it light)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RecalledUse(BaseModel):
    message_id: str
    thread_id: str
    score: float = Field(description="The similarity of the hit (a neighbour carries its hit's).")
    hit: bool = Field(True, description="False: a neighbour of a hit, recalled with it.")


class MemoryUse(BaseModel):
    """What memory an agent's context held."""

    history: int = 0
    summary_messages: int = Field(0, description="Messages the thread summary covers (0: no summary).")
    recalled: list[RecalledUse] = Field(default_factory=list)
    working_memory_version: int | None = None
    skipped: list[str] = Field(default_factory=list, description="Memory left out, and why.")
