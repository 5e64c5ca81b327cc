"""Self-reflection: score an answer, accept it or send the request to the next-best agent."""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports
from mastra.reflection.base import AnswerFacts, Reflection

if TYPE_CHECKING:
    from mastra.reflection.heuristic import HeuristicReflector

__getattr__ = lazy_exports(__name__, {"HeuristicReflector": "mastra.reflection.heuristic"})
__all__ = ["AnswerFacts", "HeuristicReflector", "Reflection"]
