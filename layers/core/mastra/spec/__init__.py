"""Agent specifications: the schema (pydantic), the file loader and the registry."""

from mastra.spec.loader import load_spec, load_specs
from mastra.spec.models import (
    AgentSpec,
    Capability,
    KnowledgeBase,
    MemorySettings,
    ModelSettings,
    Passage,
    PromptSpec,
)
from mastra.spec.registry import AgentRegistry

__all__ = [
    "AgentRegistry",
    "AgentSpec",
    "Capability",
    "KnowledgeBase",
    "MemorySettings",
    "ModelSettings",
    "Passage",
    "PromptSpec",
    "load_spec",
    "load_specs",
]
