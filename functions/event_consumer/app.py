"""Consume pipeline events from the SQS events queue, reporting partial batch failures."""

from mastra.events.consumer import handler  # noqa: F401
