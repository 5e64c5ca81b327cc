"""Workflows as Amazon States Language, run by Step Functions on AWS and in-process locally."""

from mastra.workflow.local import ExecutionFailed, LocalStateMachine

__all__ = ["ExecutionFailed", "LocalStateMachine"]
