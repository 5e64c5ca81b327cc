"""Choose the agent for a request (called by the request pipeline's SelectAgent state)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra.steps import select_agent

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="request.request_id")
def handler(event: dict, context: LambdaContext) -> dict:
    return select_agent(event)
