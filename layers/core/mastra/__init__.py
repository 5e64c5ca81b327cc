"""Mastra: serverless orchestration of AI agents.

The package is the core library shipped as the shared Lambda layer. Submodules are imported
lazily by their users so that a Lambda function only pays for what it touches at cold start.
"""

__version__ = "0.1.0"
