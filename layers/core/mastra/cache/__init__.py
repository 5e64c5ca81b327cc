"""The answer cache and the per-thread usage counters (the thread governor), in the turn store.

``store.py`` is the interface; ``sqlite.py`` and ``dynamodb.py`` share the turn store's database or
table (``CacheStore.sharing(store)``), like the prompt registry.
"""

from mastra.cache.store import CachedAnswer, CacheStore, ThreadUsage, open_cache

__all__ = ["CacheStore", "CachedAnswer", "ThreadUsage", "open_cache"]
