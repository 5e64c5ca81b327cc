"""Statistics from pipeline events: hourly buckets per agent, prompt version and topic.

One package, one job per file: ``models`` (buckets, histogram, windows), ``aggregate`` (events ->
counter updates, pure), ``store`` (the storage contract) with ``sqlite`` and ``dynamodb`` backends
on the turn store's file or table, ``service`` (summaries and ``agent_stats``), ``metrics`` (the
CloudWatch metrics the functions emit), ``plot`` (``mastra stats --plot``) and ``cli``.

Exports are lazy: the CLI wires ``mastra stats`` at start-up and must not pay for the models.
"""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports

if TYPE_CHECKING:
    from mastra.stats.models import DIMENSIONS, AgentStats, Bucket, BucketKey, Update, parse_window, percentile
    from mastra.stats.service import StatsService, aggregate, stats_store_for
    from mastra.stats.store import StatsStore

__getattr__ = lazy_exports(
    __name__,
    {
        "AgentStats": "mastra.stats.models",
        "Bucket": "mastra.stats.models",
        "BucketKey": "mastra.stats.models",
        "DIMENSIONS": "mastra.stats.models",
        "StatsService": "mastra.stats.service",
        "StatsStore": "mastra.stats.store",
        "Update": "mastra.stats.models",
        "aggregate": "mastra.stats.service",
        "parse_window": "mastra.stats.models",
        "percentile": "mastra.stats.models",
        "stats_store_for": "mastra.stats.service",
    },
)
__all__ = [
    "DIMENSIONS",
    "AgentStats",
    "Bucket",
    "BucketKey",
    "StatsService",
    "StatsStore",
    "Update",
    "aggregate",
    "parse_window",
    "percentile",
    "stats_store_for",
]
