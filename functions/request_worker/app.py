"""Run queued requests (POST /v1/requests) from the SQS requests queue, reporting partial batch failures.

Each message is one admitted request; ``AsyncRequests.process`` runs it through the pipeline
(the Step Functions state machine, as the API does), records the outcome and calls the callback.
A message that fails on an error a retry may fix is reported in ``batchItemFailures``: SQS
delivers it alone again and, after the queue's maxReceiveCount (= ``MASTRA_REQUESTS_MAX_RECEIVES``),
its record is failed and the message parked in the dead-letter queue; the rest of the batch
succeeds. A redelivered message never runs the pipeline twice (the turn is stored by request id).
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from mastra import runtime
from mastra.async_requests import QueuedRequest, RunAgain
from mastra.stats.metrics import NAMESPACE, SERVICE

logger = Logger()
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer()
# A batch whose every message failed is reported like any partial failure (not raised): each
# message then counts its receives, and goes to the DLQ, the same way.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> str:
    attributes = record.raw_event.get("messageAttributes") or {}
    tenant_id = (attributes.get("tenant_id") or {}).get("stringValue")
    request_id = (attributes.get("request_id") or {}).get("stringValue")
    logger.set_correlation_id(request_id)
    receives = int(record.attributes.approximate_receive_count)
    service = runtime.get_runtime().async_requests
    try:
        message = QueuedRequest.model_validate_json(record.body)
    except ValidationError as exc:  # a poison message: fails every delivery, then the DLQ
        metrics.add_metric(name="AsyncRequestsUnreadable", unit=MetricUnit.Count, value=1)
        service.fail_unreadable(tenant_id, request_id, receives=receives, reason=f"unreadable message: {exc}")
        raise
    try:
        status = service.process(message, receives=receives).status
    except RunAgain:
        metrics.add_metric(name="AsyncRequestsRetried", unit=MetricUnit.Count, value=1)
        raise
    name = "AsyncRequestsSucceeded" if status == "succeeded" else "AsyncRequestsFailed"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return status


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
