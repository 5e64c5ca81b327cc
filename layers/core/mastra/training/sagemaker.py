"""Start a training entry point as a SageMaker training job: the same script, the same artifact.

Uses boto3's ``sagemaker`` client, not the SageMaker SDK: the SDK installs about 1 GB and would
never fit a Lambda layer, and one ``CreateTrainingJob`` call is all a job needs. The job runs in a
SageMaker framework container in script mode (the scikit-learn container for linear models, the
PyTorch one for fine-tuning; pass its ECR image URI for your region). The container downloads
``sourcedir.tar.gz`` (the ``mastra`` package, a ``requirements.txt`` and a two-line
``train_<kind>.py`` that calls the entry point), installs the requirements and runs the script
with the channels and ``SM_*`` variables of :mod:`mastra.training.contract`. Its ``model.tar.gz``
holds exactly what a local run writes to ``SM_MODEL_DIR``.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
import uuid
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from mastra import aws
from mastra.errors import InvalidRequestError, StorageError

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def source_archive(kind: str, entry: str) -> bytes:
    """``sourcedir.tar.gz``: the ``mastra`` package, its requirements and ``train_<kind>.py``."""
    train_extra = re.compile(r"""extra\s*==\s*["']train["']""")
    requirements = [r for r in (metadata.requires("mastra") or []) if "extra" not in r or train_extra.search(r)]
    files = {
        f"train_{kind}.py": f"from {entry} import main\n\nmain()\n".encode(),
        "requirements.txt": ("\n".join(r.split(";")[0].strip() for r in requirements) + "\n").encode(),
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        tar.add(PACKAGE_DIR, arcname="mastra", filter=lambda t: None if "__pycache__" in t.name else t)
    return buf.getvalue()


class SageMakerTraining:
    def __init__(
        self,
        bucket: str,
        role_arn: str,
        image_uri: str,
        *,
        instance_type: str = "ml.m5.large",
        max_runtime_s: int = 3600,
        sagemaker: Any | None = None,
        s3: Any | None = None,
    ) -> None:
        if not (bucket and role_arn and image_uri):
            raise InvalidRequestError("a SageMaker training job needs a bucket, a role ARN and an image URI")
        self.bucket, self.role_arn, self.image_uri = bucket, role_arn, image_uri
        self.instance_type, self.max_runtime_s = instance_type, max_runtime_s
        self._sagemaker, self._s3 = sagemaker, s3

    @property
    def sagemaker(self) -> Any:
        return self._sagemaker or aws.client("sagemaker")

    @property
    def s3(self) -> Any:
        return self._s3 or aws.client("s3")

    def start(
        self,
        kind: str,
        entry: str,
        channels: Mapping[str, Path | str],
        *,
        hyperparameters: dict[str, Any] | None = None,
        job_name: str | None = None,
    ) -> str:
        """Export the data to S3, upload the source, create the job; returns the job name.

        A channel given as an ``s3://`` prefix (a string) is already in S3 and is used in place.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        job = job_name or f"mastra-{kind}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
        prefix = f"training/{kind}/{job}"
        uris = {
            name: path if isinstance(path, str) else f"s3://{self.bucket}/{prefix}/input/{name}/"
            for name, path in channels.items()
        }
        try:
            for name, path in channels.items():
                if isinstance(path, str):
                    continue
                files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
                for file in files:
                    key = file.relative_to(path).as_posix() if path.is_dir() else "data.jsonl"
                    self.s3.upload_file(str(file), self.bucket, f"{prefix}/input/{name}/{key}")
            source_key = f"{prefix}/source/sourcedir.tar.gz"
            self.s3.put_object(Bucket=self.bucket, Key=source_key, Body=source_archive(kind, entry))
            # Framework containers read JSON-encoded hyperparameters and pass them as --name value.
            hps = {k: json.dumps(v) for k, v in (hyperparameters or {}).items()}
            hps |= {
                "sagemaker_program": json.dumps(f"train_{kind}.py"),
                "sagemaker_submit_directory": json.dumps(f"s3://{self.bucket}/{source_key}"),
            }
            self.sagemaker.create_training_job(
                TrainingJobName=job,
                AlgorithmSpecification={"TrainingImage": self.image_uri, "TrainingInputMode": "File"},
                RoleArn=self.role_arn,
                HyperParameters=hps,
                InputDataConfig=[
                    {
                        "ChannelName": name,
                        "DataSource": {
                            "S3DataSource": {
                                "S3DataType": "S3Prefix",
                                "S3Uri": uris[name],
                                "S3DataDistributionType": "FullyReplicated",
                            }
                        },
                    }
                    for name in channels
                ],
                OutputDataConfig={"S3OutputPath": f"s3://{self.bucket}/{prefix}/output"},
                ResourceConfig={"InstanceType": self.instance_type, "InstanceCount": 1, "VolumeSizeInGB": 10},
                StoppingCondition={"MaxRuntimeInSeconds": self.max_runtime_s},
                Tags=[{"Key": "mastra:model-kind", "Value": kind}],
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"sagemaker: cannot start the {kind} training job: {exc}") from exc
        return job

    def describe(self, job: str) -> dict[str, Any]:
        """``{"status", "model_artifact"?, "failure"?}`` of a job."""
        d = self.sagemaker.describe_training_job(TrainingJobName=job)
        out: dict[str, Any] = {"status": d["TrainingJobStatus"]}
        if d.get("ModelArtifacts", {}).get("S3ModelArtifacts"):
            out["model_artifact"] = d["ModelArtifacts"]["S3ModelArtifacts"]
        if d.get("FailureReason"):
            out["failure"] = d["FailureReason"]
        return out
