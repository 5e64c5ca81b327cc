"""Statistics from pipeline events: hourly buckets per agent, prompt version and topic.

One package, one job per file: ``models`` (buckets, histogram, windows), ``aggregate`` (events ->
counter updates, pure), ``store`` (the storage contract) with ``sqlite`` and ``dynamodb`` backends
on the turn store's file or table, ``service`` (summaries and ``agent_stats``), ``metrics`` (the
CloudWatch metrics the functions emit), ``plot`` (``mastra stats --plot``) and ``cli``.
"""

from __future__ import annotations

from mastra.stats.models import DIMENSIONS, AgentStats, Bucket, BucketKey, Update, parse_window, percentile
from mastra.stats.service import StatsService, aggregate, stats_store_for
from mastra.stats.store import StatsStore

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
