"""Choose the agent for a request (called by the request pipeline's SelectAgent state).

No Tracer: it would add ~170 ms to a cold start of a function that makes no AWS calls (see
README "Monitoring"); Lambda's active tracing still records the invocation.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra.privacy import logs as privacy_logs
from mastra.stats.metrics import NAMESPACE, SERVICE, STEP_LATENCY, timed
from mastra.steps import select_agent

logger = privacy_logs.powertools(Logger())  # personal data redacted from every record
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="request.request_id")
def handler(event: dict, context: LambdaContext) -> dict:
    with timed(metrics, STEP_LATENCY, step="select_agent"):
        return select_agent(event)
