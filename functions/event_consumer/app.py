"""Store pipeline events from the SQS events queue and add them to the stats, reporting partial batch failures.

With ``MASTRA_EVENT_BUS_NAME`` set, each stored batch is also forwarded to that EventBridge bus
(source ``mastra``, detail-type the event type) for other systems to subscribe to.

A message that fails (not a known event batch, the store or the bus is down) is reported back in
``batchItemFailures``: SQS redelivers it alone and, after the queue's maxReceiveCount, parks it
in the dead-letter queue. The rest of the batch is stored, never dropped with it. Metrics are
emitted for the events counted now only (a redelivery adds none). Traced: it is off the request
path, so the Tracer's cold-start cost is paid by no user.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra import runtime
from mastra.events.consumer import consume
from mastra.events.eventbridge import EventBridgeForwarder
from mastra.privacy import logs as privacy_logs
from mastra.stats.metrics import NAMESPACE, SERVICE, emit

logger = privacy_logs.powertools(Logger())  # personal data redacted from every record
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def forward(events: list) -> None:
    """To the EventBridge bus, if one is configured (read per call: the runtime's settings may change in tests)."""
    bus = runtime.get_runtime().settings.event_bus_name
    if bus:
        EventBridgeForwarder(bus).forward(events)


def record_handler(record: SQSRecord) -> int:
    attribute = (record.raw_event.get("messageAttributes") or {}).get("request_id") or {}
    logger.set_correlation_id(attribute.get("stringValue"))  # the request whose events these are
    return consume(
        record.body,
        runtime.get_runtime().store,
        on_applied=lambda events: emit(metrics, events),
        forward=forward,
    )


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
