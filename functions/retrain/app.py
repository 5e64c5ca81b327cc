"""Every Task of the retraining state machine (statemachines/retraining.asl.json): the event names the step."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra.training.retrain_steps import handle

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="export.run_id")
def handler(event: dict, context: LambdaContext) -> dict:
    return handle(event)
