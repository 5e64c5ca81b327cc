"""Self-reflection: score an answer, accept it or send the request to the next-best agent."""

from mastra.reflection.base import Reflection
from mastra.reflection.heuristic import AnswerFacts, HeuristicReflector

__all__ = ["AnswerFacts", "HeuristicReflector", "Reflection"]
