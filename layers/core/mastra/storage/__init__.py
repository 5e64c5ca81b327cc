"""Storage: one interface (``base.Store``), one file per backend."""

from mastra.storage.base import Store
from mastra.storage.models import Message, Page, RequestRecord, Thread, Turn
from mastra.storage.sqlite import SQLiteStore

__all__ = ["Message", "Page", "RequestRecord", "SQLiteStore", "Store", "Thread", "Turn"]
