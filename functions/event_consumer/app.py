"""Store pipeline events from the SQS events queue, reporting partial batch failures.

A message that fails (not a known event batch, or the store is down) is reported back in
``batchItemFailures``: SQS redelivers it alone and, after the queue's maxReceiveCount, parks it
in the dead-letter queue. The rest of the batch is stored, never dropped with it.
"""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from mastra import runtime
from mastra.events.consumer import consume

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> int:
    return consume(record.body, runtime.get_runtime().store)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
