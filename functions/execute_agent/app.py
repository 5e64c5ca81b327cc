"""Run the chosen agent on the request (the pipeline's ExecuteAgent, ExecuteFallback and ExecuteRetry states)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra.steps import execute_agent

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="request.request_id")
def handler(event: dict, context: LambdaContext) -> dict:
    return execute_agent(event)
