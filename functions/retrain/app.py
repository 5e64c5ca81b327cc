"""Every Task of the retraining state machine (statemachines/retraining.asl.json): the event names the step.

Tracer is on: this function runs a few times a day, off the request path, and its time goes to
S3, DynamoDB and SageMaker calls (its cold start does not matter).
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra.privacy import logs as privacy_logs
from mastra.stats.metrics import NAMESPACE, RETRAINING_STEP_LATENCY, SERVICE, timed
from mastra.training.retrain_steps import handle

logger = privacy_logs.powertools(Logger())  # personal data redacted from every record
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer()


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="export.run_id")
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    with timed(metrics, RETRAINING_STEP_LATENCY, step=str(event.get("step"))):
        return handle(event)
