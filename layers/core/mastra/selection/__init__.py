"""Agent selection: score every agent for a request and choose one, with a calibrated confidence."""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports
from mastra.selection.base import AgentScore, BanditDecision, Router, Selection

if TYPE_CHECKING:
    from mastra.selection.ridge import RidgeRouter

__getattr__ = lazy_exports(__name__, {"RidgeRouter": "mastra.selection.ridge"})
__all__ = ["AgentScore", "BanditDecision", "RidgeRouter", "Router", "Selection"]
