"""Runs the request pipeline on AWS Step Functions: the same ASL document the local runner runs.

Express workflows answer in one call (``StartSyncExecution``). Standard workflows, and moto's
interpreter (which does not implement the sync call), are started and polled instead
(``MASTRA_PIPELINE_SYNC=false``). The execution name is the request id, so a retried start of the
same request cannot run it twice on a Standard workflow.
"""

from __future__ import annotations

import json
import time
from typing import Any

from mastra import aws
from mastra.errors import PipelineError, StepTimeoutError
from mastra.pipeline import PIPELINE_TIMEOUT_S
from mastra.workflow.local import ExecutionFailed

_RUNNING = "RUNNING"


class StepFunctionsRunner:
    def __init__(
        self,
        state_machine_arn: str,
        *,
        sync: bool = True,
        client: Any | None = None,
        poll_interval_s: float = 0.05,
        timeout_s: float = 120.0,
    ) -> None:
        self.arn = state_machine_arn
        self.sync = sync
        self._client = client
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s

    @property
    def client(self) -> Any:
        return self._client or aws.client("stepfunctions", retries=False, read_timeout=PIPELINE_TIMEOUT_S + 5)

    def run(self, data: dict[str, Any]) -> Any:
        """Execute the state machine on ``data``; :class:`ExecutionFailed` if the execution fails."""
        from botocore.exceptions import BotoCoreError, ClientError

        name = str(data.get("request", {}).get("request_id") or "")[:80] or None
        params: dict[str, Any] = {"stateMachineArn": self.arn, "input": json.dumps(data)}
        if name:
            params["name"] = name
        try:
            result = self.client.start_sync_execution(**params) if self.sync else self._start_and_wait(params)
        except (ClientError, BotoCoreError) as exc:
            raise PipelineError(f"stepfunctions: cannot run the pipeline: {exc}") from exc
        status = result["status"]
        if status == "SUCCEEDED":
            return json.loads(result["output"])
        default = "States.Timeout" if status == "TIMED_OUT" else f"States.{status.title()}"
        raise ExecutionFailed(result.get("error") or default, result.get("cause") or "")

    def _start_and_wait(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = self.client.start_execution(**params)["executionArn"]
        deadline = time.monotonic() + self.timeout_s
        while True:
            described: dict[str, Any] = self.client.describe_execution(executionArn=arn)
            if described["status"] != _RUNNING:
                return described
            if time.monotonic() > deadline:
                raise StepTimeoutError(f"stepfunctions: execution {arn} still running after {self.timeout_s:g} s")
            time.sleep(self.poll_interval_s)
