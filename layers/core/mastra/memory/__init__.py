"""Agent memory: history, semantic recall, working memory and summaries (see ``service.py``)."""

from mastra.memory.service import MemoryContext, MemoryService, MemoryUse
from mastra.memory.working import WorkingMemorySchema

__all__ = ["MemoryContext", "MemoryService", "MemoryUse", "WorkingMemorySchema"]
