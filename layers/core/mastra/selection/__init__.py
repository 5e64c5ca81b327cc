"""Agent selection: score every agent for a request and choose one, with a calibrated confidence."""

from mastra.selection.base import AgentScore, Router, Selection
from mastra.selection.ridge import RidgeRouter

__all__ = ["AgentScore", "RidgeRouter", "Router", "Selection"]
