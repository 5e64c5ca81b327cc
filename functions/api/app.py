"""The HTTP API behind API Gateway: the FastAPI app from the core library, wrapped by Mangum.

Logs carry API Gateway's request id as the correlation id; ``ApiLatency`` and ``ApiServerErrors``
(5xx) are emitted per call. Traced: its calls to Step Functions and DynamoDB are what a slow
request is made of, and with botocore already loaded the Tracer adds ~75 ms to a cold start.
"""

import asyncio
import time

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from mastra.api import create_app
from mastra.privacy import logs as privacy_logs
from mastra.stats.metrics import API_LATENCY, API_SERVER_ERRORS, NAMESPACE, SERVICE

logger = privacy_logs.powertools(Logger())  # personal data redacted from every record
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer()
app = create_app()
asgi = Mangum(app, lifespan="off")


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict, context: LambdaContext) -> dict:
    started = time.perf_counter()
    _ensure_event_loop()
    response: dict = asgi(event, context)
    metrics.add_metric(name=API_LATENCY, unit="Milliseconds", value=round((time.perf_counter() - started) * 1000, 3))
    metrics.add_metric(name=API_SERVER_ERRORS, unit="Count", value=int(response.get("statusCode", 500) >= 500))
    return response


def _ensure_event_loop() -> None:
    """Mangum runs each event on the thread's current event loop; a library that called
    ``asyncio.run`` on this thread (an MCP client, say) leaves it unset, failing every later event."""
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())
