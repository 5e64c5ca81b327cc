"""Create the stack's data resources (table, events and requests queues with their DLQs) on any AWS endpoint.

    AWS_ENDPOINT_URL=http://127.0.0.1:5000 python infra/local_stack.py [--prefix mastra]

For LocalStack or a moto server (or a scratch AWS account). The resources are made from
template.yaml's own properties (keys, index, billing, TTL, encryption, point-in-time recovery,
retention, redrive policy), so they do not drift from what `sam deploy` creates. Prints the
``export`` lines that point Mastra at them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from infra.cfn import resource


def create_table(client: Any, name: str) -> str:
    """The request table, as template.yaml declares it (keys, GSI1 and GSI2, billing, TTL)."""
    props = resource("Table")["Properties"]
    client.create_table(
        TableName=name,
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props.get("GlobalSecondaryIndexes", []),
        BillingMode=props["BillingMode"],
        SSESpecification={"Enabled": props["SSESpecification"]["SSEEnabled"]},
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
    client.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification=props["PointInTimeRecoverySpecification"]
    )
    return name


def create_idempotency_table(client: Any, name: str) -> str:
    """The Idempotency-Key table, as template.yaml declares it (Powertools' ``id`` key, TTL on ``expiration``)."""
    props = resource("IdempotencyTable")["Properties"]
    client.create_table(
        TableName=name,
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        BillingMode=props["BillingMode"],
        SSESpecification={"Enabled": props["SSESpecification"]["SSEEnabled"]},
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
    return name


def create_queues(
    client: Any, name: str = "mastra-events", *, queue: str = "EventsQueue", dlq: str = "EventsDLQ"
) -> tuple[str, str]:
    """A queue and its dead-letter queue (default: the events queue), with the template's redrive policy.

    Their KMS key (the stack's DataKey) is not created here: LocalStack and moto encrypt nothing.
    """
    dlq_url = client.create_queue(QueueName=f"{name}-dlq", Attributes=_queue_attributes(dlq))["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = dict(resource(queue)["Properties"]["RedrivePolicy"], deadLetterTargetArn=dlq_arn)
    attributes = _queue_attributes(queue) | {"RedrivePolicy": json.dumps(redrive)}
    url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, dlq_url


def _queue_attributes(logical_id: str) -> dict[str, str]:
    """A queue's template properties as SQS attributes (all strings); the redrive policy is set apart."""
    props = resource(logical_id)["Properties"]
    keys = ("MessageRetentionPeriod", "VisibilityTimeout", "SqsManagedSseEnabled")
    return {k: str(props[k]).lower() if isinstance(props[k], bool) else str(props[k]) for k in keys if k in props}


def seed_prompts(client: Any, table: str) -> list[str]:
    """Register the example agents' prompts (``mastra prompts seed``, the deploy step on AWS)."""
    from mastra.prompts import PromptService
    from mastra.prompts.dynamodb import DynamoDBPromptStore
    from mastra.prompts.seed import seed_directory
    from mastra.settings import EXAMPLE_AGENTS_DIR

    return seed_directory(
        PromptService(DynamoDBPromptStore(table, client=client)), EXAMPLE_AGENTS_DIR.parent / "prompts"
    )


def create_data_resources(prefix: str) -> dict[str, str]:
    """Table (with the example prompts registered) and queues; returns the MASTRA_* settings that use them."""
    import boto3

    table = create_table(boto3.client("dynamodb"), f"{prefix}-table")
    seed_prompts(boto3.client("dynamodb"), table)
    idempotency = create_idempotency_table(boto3.client("dynamodb"), f"{prefix}-idempotency")
    queue_url, _ = create_queues(boto3.client("sqs"), f"{prefix}-events")
    requests_url, _ = create_queues(boto3.client("sqs"), f"{prefix}-requests", queue="RequestsQueue", dlq="RequestsDLQ")
    return {
        "MASTRA_STORE": "dynamodb",
        "MASTRA_TABLE_NAME": table,
        "MASTRA_IDEMPOTENCY_TABLE_NAME": idempotency,
        "MASTRA_EVENTS": "sqs",
        "MASTRA_EVENTS_QUEUE_URL": queue_url,
        "MASTRA_REQUESTS_QUEUE": "sqs",
        "MASTRA_REQUESTS_QUEUE_URL": requests_url,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="mastra", help="name prefix of the table and queues")
    args = parser.parse_args()
    for key, value in create_data_resources(args.prefix).items():
        print(f"export {key}={value}")


if __name__ == "__main__":
    main()
