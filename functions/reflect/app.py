"""Score the answer and decide accept or retry (the pipeline's Reflect and ReflectRetry states)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra.steps import reflect

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="request.request_id")
def handler(event: dict, context: LambdaContext) -> dict:
    return reflect(event)
