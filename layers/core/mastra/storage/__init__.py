"""Storage: one interface (``base.Store``), one file per backend."""

from mastra.storage.base import Store
from mastra.storage.models import EventRecord, Message, ModelVersion, Page, RequestRecord, Thread, Turn
from mastra.storage.sqlite import SQLiteStore


def __getattr__(name: str) -> object:
    if name == "DynamoDBStore":  # imported on use: botocore is not needed by the embedded store
        from mastra.storage.dynamodb import DynamoDBStore

        return DynamoDBStore
    raise AttributeError(name)


__all__ = [
    "DynamoDBStore",
    "EventRecord",
    "Message",
    "ModelVersion",
    "Page",
    "RequestRecord",
    "SQLiteStore",
    "Store",
    "Thread",
    "Turn",
]
