"""Sentiment of the user's message (the pipeline's AnalyzeSentiment state)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra.steps import analyze_sentiment

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="request.request_id")
def handler(event: dict, context: LambdaContext) -> dict:
    return analyze_sentiment(event)
