"""AWS resources for tests, created from template.yaml's own definitions (so they cannot drift)."""

from __future__ import annotations

from typing import Any

from infra.cfn import TEMPLATE, resource, template
from infra.local_stack import create_data_resources, create_idempotency_table, create_queues, create_table
from infra.validate_asl import substituted

__all__ = ["TEMPLATE", "create_idempotency_table", "create_queues", "create_table", "resource", "template"]


# ---- the whole stack under moto ------------------------------------------------------------------
REPO = TEMPLATE.parent
ROLE_ARN = "arn:aws:iam::123456789012:role/mastra-test"


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    raise NotImplementedError\n")
    return buf.getvalue()


def dispatch_lambda_in_process(monkeypatch: Any) -> dict[str, int]:
    """Make moto's Lambda invoke call our handlers in-process (moto would start Docker).

    A raised exception becomes Lambda's error payload, whose ``errorType`` Step Functions uses as
    the error name, so Retry and Catch behave as on AWS. Returns invocation counts per function.
    """
    import json

    from moto.awslambda.models import LambdaFunction

    from mastra.invoke import LambdaContext, load_handler_module
    from mastra.pipeline import STEPS
    from mastra.training.retraining import FUNCTION as RETRAIN_FUNCTION

    step_of = {logical: step for step, (logical, _) in STEPS.items()}
    step_of[RETRAIN_FUNCTION[0]] = RETRAIN_FUNCTION[1]  # the retraining state machine's one function
    calls: dict[str, int] = {}
    for step in step_of.values():  # load every handler before executions start (as Lambda's INIT phase would)
        load_handler_module(REPO, step)

    def invoke(self: Any, event: Any = None) -> tuple[str, bool, str]:
        step = step_of[self.function_name]
        calls[step] = calls.get(step, 0) + 1
        payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
        handler = load_handler_module(REPO, step).handler
        try:
            return json.dumps(handler(payload, LambdaContext(function_name=self.function_name))), False, ""
        except Exception as exc:
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            return json.dumps(error), True, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)
    # Step Functions' Retry really sleeps IntervalSeconds in moto's interpreter. Its module gets a
    # time of its own: patching ``time.sleep`` itself would turn every poll loop into a busy loop.
    from types import SimpleNamespace

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=lambda s: None))
    return calls


def asl_with_arns(arns: dict[str, str]) -> str:
    """The committed ASL document with its DefinitionSubstitutions applied."""
    return substituted(REPO / "statemachines" / "request_pipeline.asl.json", arns)


def deploy(prefix: str = "mastra-test") -> dict[str, str]:
    """Create the stack's resources in the current (mocked) AWS; returns the MASTRA_* settings for it."""
    import boto3

    from mastra.pipeline import STEPS

    env = create_data_resources(prefix)
    lam = boto3.client("lambda")
    arns = {}
    for _, (logical, _) in STEPS.items():
        fn = lam.create_function(
            FunctionName=logical, Runtime="python3.12", Role=ROLE_ARN, Handler="app.handler", Code={"ZipFile": _zip()}
        )
        arns[f"{logical}Arn"] = fn["FunctionArn"]
    machine = boto3.client("stepfunctions").create_state_machine(
        name=f"{prefix}-pipeline", definition=asl_with_arns(arns), roleArn=ROLE_ARN, type="EXPRESS"
    )
    return {
        **env,
        "MASTRA_PIPELINE": "stepfunctions",
        "MASTRA_PIPELINE_ARN": machine["stateMachineArn"],
        "MASTRA_PIPELINE_SYNC": "false",  # moto does not implement StartSyncExecution
    }


def deploy_retraining(prefix: str = "mastra-test") -> str:
    """The retraining state machine and its function in the current (mocked) AWS; returns its ARN."""
    import boto3

    from mastra.training.retraining import ASL_PATH, FUNCTION

    fn = boto3.client("lambda").create_function(
        FunctionName=FUNCTION[0], Runtime="python3.12", Role=ROLE_ARN, Handler="app.handler", Code={"ZipFile": _zip()}
    )
    definition = substituted(REPO / ASL_PATH, {f"{FUNCTION[0]}Arn": fn["FunctionArn"]})
    machine = boto3.client("stepfunctions").create_state_machine(
        name=f"{prefix}-retraining", definition=definition, roleArn=ROLE_ARN, type="STANDARD"
    )
    return str(machine["stateMachineArn"])
