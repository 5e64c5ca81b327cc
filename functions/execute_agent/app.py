"""Run the chosen agent on the request (the pipeline's ExecuteAgent, ExecuteFallback and ExecuteRetry states).

Traced (X-Ray): its Bedrock and DynamoDB calls dominate its time, and the Tracer's cold-start
cost (~75 ms with botocore already loaded) is small beside a model call. See README "Monitoring".
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra.privacy import logs as privacy_logs
from mastra.stats.metrics import NAMESPACE, SERVICE, STEP_LATENCY, timed
from mastra.steps import execute_agent

logger = privacy_logs.powertools(Logger())  # personal data redacted from every record
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer()


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(correlation_id_path="request.request_id")
def handler(event: dict, context: LambdaContext) -> dict:
    with timed(metrics, STEP_LATENCY, step="execute_agent"):
        return execute_agent(event)
