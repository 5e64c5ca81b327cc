"""Agent memory: history, semantic recall, working memory and summaries (see ``service.py``).

Exports are lazy: every step imports :class:`MemoryUse` for the trace, and only the steps that
read or write memory should pay for the rest.
"""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports

if TYPE_CHECKING:
    from mastra.memory.models import MemoryUse, RecalledUse
    from mastra.memory.service import MemoryContext, MemoryService
    from mastra.memory.working import WorkingMemorySchema

__getattr__ = lazy_exports(
    __name__,
    {
        "MemoryContext": "mastra.memory.service",
        "MemoryService": "mastra.memory.service",
        "MemoryUse": "mastra.memory.models",
        "RecalledUse": "mastra.memory.models",
        "WorkingMemorySchema": "mastra.memory.working",
    },
)
__all__ = ["MemoryContext", "MemoryService", "MemoryUse", "RecalledUse", "WorkingMemorySchema"]
