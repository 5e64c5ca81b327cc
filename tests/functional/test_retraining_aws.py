"""The committed retraining state machine, run by moto's Step Functions interpreter.

moto executes ``statemachines/retraining.asl.json`` itself; its Lambda invocations go in-process to
``functions/retrain`` (``tests/awsmock.py``), which talks to moto's DynamoDB, S3, SQS and SageMaker.
moto records the training job but trains nothing, so this test stands in for the job: when moto
records ``CreateTrainingJob``, the job's own inputs are read from S3, the same script-mode entry
point runs locally, and its ``model.tar.gz`` is uploaded where the job's output would be. moto says
a job is ``Completed`` at once; the first ``DescribeTrainingJob`` of each job reports
``InProgress`` instead, so the Wait -> CheckTraining loop goes round once.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from tests.awsmock import ROLE_ARN, deploy, deploy_retraining, dispatch_lambda_in_process
from tests.functional.test_retraining import Outcomes, feedback_where_banking_answers_stolen_cards_better, seed

from mastra import aws
from mastra.agents.agentset import AgentSet
from mastra.runtime import get_runtime
from mastra.settings import EXAMPLE_AGENTS_DIR, get_settings
from mastra.training import retrain_steps, service
from mastra.training.kinds import kind

BUCKET = "mastra-test-artifacts"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def run_job_locally(job: dict[str, Any]) -> None:
    """Stand in for SageMaker: the job's channels from S3 -> the script-mode entry point -> model.tar.gz."""
    from mastra.training.kinds import kind
    from mastra.training.local import run_script_mode

    s3 = boto3.client("s3")
    hps = {k: json.loads(v) for k, v in job["HyperParameters"].items()}
    program = hps.pop("sagemaker_program")  # train_<kind>.py
    hps.pop("sagemaker_submit_directory")
    entry = kind(program.removeprefix("train_").removesuffix(".py")).entry
    with tempfile.TemporaryDirectory() as tmp:
        channels = {}
        for channel in job["InputDataConfig"]:
            bucket, _, prefix = channel["DataSource"]["S3DataSource"]["S3Uri"].removeprefix("s3://").partition("/")
            local = Path(tmp) / "s3" / channel["ChannelName"]
            for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]:
                target = local / obj["Key"][len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, obj["Key"], str(target))
            channels[channel["ChannelName"]] = local
        run = run_script_mode(entry, Path(tmp) / "job", channels=channels, hyperparameters=hps)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for path in sorted(run.model_dir.iterdir()):
                tar.add(path, arcname=path.name)
    output = job["OutputDataConfig"]["S3OutputPath"].removeprefix("s3://")
    bucket, _, prefix = output.partition("/")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/{job['TrainingJobName']}/output/model.tar.gz", Body=buf.getvalue())


def stand_in_for_sagemaker(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], dict[str, int]]:
    """moto's SageMaker records each job and :func:`run_job_locally` runs it; the first
    ``DescribeTrainingJob`` of a job says ``InProgress``. Returns the jobs' names and describe counts."""
    from moto.sagemaker.models import SageMakerModelBackend

    jobs: list[str] = []
    described: dict[str, int] = {}
    create, describe = SageMakerModelBackend.create_training_job, SageMakerModelBackend.describe_training_job

    def create_and_run(self: Any, training_job_name: str, *args: Any, **kwargs: Any) -> Any:
        created = create(self, training_job_name, *args, **kwargs)
        jobs.append(training_job_name)
        run_job_locally(describe(self, training_job_name))
        return created

    def in_progress_first(self: Any, training_job_name: str) -> dict[str, Any]:
        out: dict[str, Any] = describe(self, training_job_name)
        described[training_job_name] = described.get(training_job_name, 0) + 1
        if described[training_job_name] == 1:
            out = {**out, "TrainingJobStatus": "InProgress"}
        return out

    monkeypatch.setattr(SageMakerModelBackend, "create_training_job", create_and_run)
    monkeypatch.setattr(SageMakerModelBackend, "describe_training_job", in_progress_first)
    return jobs, described


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, agent_cache: Path) -> Iterator[SimpleNamespace]:
    AgentSet.load(EXAMPLE_AGENTS_DIR, agent_cache)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        aws.reset()
        boto3.client("iam").create_role(
            RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )
        env = deploy()
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        env |= {"MASTRA_ARTIFACTS_BUCKET": BUCKET, "RETRAINING_ROLE_ARN": ROLE_ARN, "RETRAINING_IMAGE_URI": IMAGE}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("MASTRA_PREBUILT_DIR", str(agent_cache))
        get_settings.cache_clear()
        get_runtime.cache_clear()
        calls = dispatch_lambda_in_process(monkeypatch)
        machine = deploy_retraining()

        jobs, described = stand_in_for_sagemaker(monkeypatch)
        outcomes = Outcomes()
        monkeypatch.setattr(retrain_steps, "outcome_source", lambda rt: outcomes)
        rt = get_runtime()
        # The function shares this process: build what its INIT phase would (agents, encoder), and
        # register version 0 as `mastra models list router` does at deploy time on AWS.
        for name in ("agents", "encoder", "store", "publisher", "registry"):
            getattr(rt, name)
        service.ensure_builtin(rt, kind("router"))
        yield SimpleNamespace(
            env=env, calls=calls, machine=machine, rt=rt, outcomes=outcomes, jobs=jobs, described=described
        )
        get_runtime.cache_clear()
        get_settings.cache_clear()
        aws.reset()


def execute(machine: str, data: dict[str, Any], timeout_s: float = 60) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(data))["executionArn"]
    deadline = time.monotonic() + timeout_s
    while (d := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the retraining execution did not finish"
        time.sleep(0.5)
    return dict(d)


def test_moto_runs_the_retraining_machine_and_the_real_artifact_is_promoted(stack: SimpleNamespace) -> None:
    rt = stack.rt
    items = feedback_where_banking_answers_stolen_cards_better()
    seed(rt, stack.outcomes, [i for i in items if i[2] == "cards/stolen"] + [i for i in items if i[1] == "math"][:8])
    config = {"kind": "router", "trainer": "sagemaker", "poll_seconds": 0, "min_train_rows": 10}
    result = execute(stack.machine, config)
    assert result["status"] == "SUCCEEDED", result
    state = json.loads(result["output"])
    event = state["event"]
    assert event["outcome"] == "promoted", event["reason"]
    # moto recorded one job, with the exported rows as its train/validation channels, read in place.
    (job,) = stack.jobs
    assert job == event["request_id"] and stack.described[job] == 2  # InProgress, then Completed
    d = boto3.client("sagemaker").describe_training_job(TrainingJobName=job)
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in d["InputDataConfig"]}
    assert channels["train"] == f"s3://{BUCKET}/training/router/{job}/input/train/"
    assert set(channels) == {"train", "validation", "agents"} and d["RoleArn"] == ROLE_ARN
    # Each Task went to the one retraining function: export, start, check x2, evaluate, promote, emit.
    assert stack.calls["retrain"] == 7
    # The candidate (the job's artifact, registered in S3 + DynamoDB) is the champion and routes the topic to banking.
    champion = rt.registry.champion("router")
    assert champion is not None and champion.version == event["candidate_version"] == 1
    assert champion.artifact.startswith(f"s3://{BUCKET}/models/router/")
    rt.router.champion._checked_at = float("-inf")
    assert rt.router.route("a thief took my wallet with all my cards", floor=0.3).agent_id == "banking"
    # The event went to the events queue.
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.env["MASTRA_EVENTS_QUEUE_URL"], MaxNumberOfMessages=10)["Messages"]
    (finished,) = [e for m in messages for e in json.loads(m["Body"])["events"]]
    assert finished["type"] == "retraining.finished" and finished["promoted"] is True


def test_too_little_data_skips_without_a_job(stack: SimpleNamespace) -> None:
    result = execute(stack.machine, {"kind": "router", "trainer": "sagemaker", "poll_seconds": 0})
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["event"]["outcome"] == "skipped" and not stack.jobs
