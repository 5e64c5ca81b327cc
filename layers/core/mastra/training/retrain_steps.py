"""The retraining state machine's steps: JSON in, JSON out (like :mod:`mastra.steps`).

One Lambda (``functions/retrain``) serves every Task of ``statemachines/retraining.asl.json``: each
Task's Parameters name the step (``{"step": "export", ...}``) and :func:`handle` dispatches. One
function rather than five because the steps share their dependencies and permissions (store,
bucket, SageMaker) and run a few times a day: five functions would be five cold starts and five
copies of one policy. Locally, :func:`mastra.training.retraining.run` maps the same resource to
:func:`handle`.

    export          outcomes (feedback) + stored user messages -> train / validation JSONL rows
    start_training  a SageMaker training job, or the local script-mode runner (synchronously)
    check_training  the job's status (DescribeTrainingJob)
    evaluate        register the artifact as a candidate; candidate and champion on held-out and guard rows
    promote         make the candidate the champion (refused if the champion changed meanwhile)
    emit            the ``retraining.finished`` event

Labels from outcomes (:func:`derive_rows`): an answer rewarded at least ``HIGH`` is a row
``(user message, agent that answered)``; an answer rewarded at most ``LOW`` is relabelled to the
agent that earned a mean reward of at least ``HIGH`` on the same topic (over at least
``MIN_SUPPORT`` answers) if there is one, else dropped; rewards in between are dropped (no
signal). Rows are split into train and validation (held-out) by a hash of the request id.

Promotion rule (:func:`decide`): the candidate is promoted only if its accuracy on the held-out
rows beats the champion's by at least ``margin`` and its accuracy on the guard rows (a labelled
question set; default: the agents' own spec examples) is not below the champion's by more than
``tolerance``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from mastra.errors import InvalidRequestError, NotFoundError, StorageError

if TYPE_CHECKING:
    from mastra.runtime import Runtime

HIGH = 0.7  # a reward at or above this is a good answer
LOW = 0.3  # a reward at or below this is a bad one
MIN_SUPPORT = 2  # answers an agent needs on a topic before bad answers are relabelled to it
SUPPORTED_KINDS = ("router",)  # sentiment labels do not come from rewards (see the README)


# ---- where outcomes come from ---------------------------------------------------------------------


class Outcome(Protocol):
    """What the export reads of one answered request (``mastra.feedback``'s Outcome has these)."""

    @property
    def request_id(self) -> str: ...
    @property
    def thread_id(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def reward(self) -> float | None: ...
    @property
    def updated_at(self) -> float: ...


class OutcomeSource(Protocol):
    def outcomes(self, tenant_id: str, since: float, until: float) -> Iterable[Outcome]: ...


def outcome_source(rt: Runtime) -> OutcomeSource:
    """The runtime's feedback service (``rt.feedback``); tests replace this function."""
    source = getattr(rt, "feedback", None)
    if source is None or not hasattr(source, "outcomes"):
        raise InvalidRequestError("retraining needs outcomes: this runtime has no feedback service")
    return source  # type: ignore[no-any-return]


# ---- the run's configuration ----------------------------------------------------------------------


class RunConfig(BaseModel):
    """The state machine's input (the schedule's, or ``mastra retrain``'s); every field has a default."""

    model_config = ConfigDict(extra="forbid")

    kind: str = "router"
    tenant_id: str | None = None
    run_id: str | None = None
    since: float | None = None
    until: float | None = None
    window_days: float = Field(7.0, gt=0, description="since = until - window_days, unless since is given")
    trainer: Literal["local", "sagemaker"] | None = None
    poll_seconds: int = Field(60, ge=0, description="the Wait between two DescribeTrainingJob calls")
    min_train_rows: int = Field(20, ge=1)
    min_validation_rows: int = Field(5, ge=1)
    validation_share: float = Field(0.25, gt=0, lt=1)
    margin: float = Field(0.02, ge=0, description="held-out accuracy the candidate must gain")
    tolerance: float = Field(0.02, ge=0, description="guard accuracy the candidate may lose")
    guard: str | None = Field(None, description="labelled guard rows: a JSONL path or s3:// URI")
    # The feedback rows cover a few topics: calibrating the router's confidence and scope model on
    # them alone would misjudge every other topic, so by default no row is held out for calibration
    # (the spec examples' leave-one-out calibration is kept) and the rows only add prototypes.
    hyperparameters: dict[str, Any] = Field(default_factory=lambda: {"holdout": 0})


class Export(BaseModel):
    """ExportData's result: the resolved run and what was exported (every later step reads it)."""

    model_config = ConfigDict(extra="forbid")

    config: RunConfig
    run_id: str
    kind: str
    tenant_id: str
    since: float
    until: float
    trainer: Literal["local", "sagemaker"]
    poll_seconds: int
    rows: dict[str, int]
    dropped: dict[str, int]
    enough: bool
    reason: str
    train: str | None = None
    validation: str | None = None


# ---- run files: the data dir locally, the artifacts bucket on AWS -------------------------------


def _local_root(rt: Runtime, kind: str, run_id: str) -> Path:
    return rt.settings.home / "retraining" / kind / run_id


def _s3(rt: Runtime) -> Any:
    from mastra import aws

    return aws.client("s3")


def _bucket(rt: Runtime) -> str:
    bucket = rt.settings.artifacts_bucket
    if not bucket:
        raise InvalidRequestError("SageMaker retraining needs MASTRA_ARTIFACTS_BUCKET")
    return bucket


def _put_rows(rt: Runtime, export: Export, name: str, rows: list[dict[str, Any]]) -> str:
    """Write one channel's rows; returns its location (a directory, or an ``s3://`` prefix)."""
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    if export.trainer == "local":
        directory = _local_root(rt, export.kind, export.run_id) / "input" / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "data.jsonl").write_bytes(body)
        return str(directory)
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = _bucket(rt)
    # Where SageMakerTraining.start would upload the channel: the job reads it in place.
    prefix = f"training/{export.kind}/{export.run_id}/input/{name}/"
    try:
        _s3(rt).put_object(Bucket=bucket, Key=prefix + "data.jsonl", Body=body)
    except (ClientError, BotoCoreError) as exc:
        raise StorageError(f"s3: cannot export the {name} rows: {exc}") from exc
    return f"s3://{bucket}/{prefix}"


def _read_rows(rt: Runtime, location: str) -> list[dict[str, Any]]:
    """The rows of a channel written by :func:`_put_rows`, or of a guard file (path or ``s3://`` URI)."""
    from mastra.training.contract import channel_rows, read_jsonl

    if not location.startswith("s3://"):
        path = Path(location)
        try:
            return channel_rows(path) if path.is_dir() else read_jsonl(path)
        except (OSError, ValueError) as exc:
            raise InvalidRequestError(f"cannot read rows from {location}: {exc}") from None
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = location.removeprefix("s3://").partition("/")
    key = key + "data.jsonl" if key.endswith("/") else key
    try:
        body = _s3(rt).get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    except (ClientError, BotoCoreError) as exc:
        raise StorageError(f"s3: cannot read {location}: {exc}") from exc
    return [json.loads(line) for line in body.splitlines() if line.strip()]


# ---- ExportData ---------------------------------------------------------------------------------


def _in_validation(request_id: str, share: float) -> bool:
    digest = hashlib.sha256(request_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def derive_rows(
    outcomes: Iterable[Outcome], text_of: Callable[[Outcome], str | None]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Labelled router rows ``{"text", "domain", "intent", "request_id", "source"}`` from outcomes (module
    doc). ``intent`` is the topic: the router learns one prototype per (agent, topic).

    Returns the rows and the counts of what was dropped, by reason.
    """
    scored = [o for o in outcomes if o.reward is not None and o.agent_id]
    dropped: dict[str, int] = defaultdict(int)
    per_agent: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for o in scored:
        assert o.agent_id is not None and o.reward is not None
        per_agent[o.topic or o.agent_id][o.agent_id].append(o.reward)
    best: dict[str, str] = {}
    for topic, agents in per_agent.items():
        means = {a: sum(r) / len(r) for a, r in agents.items() if len(r) >= MIN_SUPPORT}
        good = {a: m for a, m in means.items() if m >= HIGH}
        if good:
            best[topic] = max(sorted(good), key=lambda a: good[a])
    rows: list[dict[str, Any]] = []
    for o in sorted(scored, key=lambda o: (o.updated_at, o.request_id)):
        assert o.agent_id is not None and o.reward is not None
        topic = o.topic or o.agent_id
        if o.reward >= HIGH:
            label, source = o.agent_id, "rewarded"
        elif o.reward <= LOW and best.get(topic, o.agent_id) != o.agent_id:
            label, source = best[topic], "relabelled"
        else:
            dropped["bad_without_better_agent" if o.reward <= LOW else "uncertain_reward"] += 1
            continue
        text = text_of(o)
        if not text:
            dropped["message_gone"] += 1
            continue
        rows.append({"text": text, "domain": label, "intent": topic, "request_id": o.request_id, "source": source})
    return rows, dict(dropped)


def export(event: dict[str, Any], rt: Runtime, outcomes: OutcomeSource) -> dict[str, Any]:
    """``{"input": RunConfig}`` -> :class:`Export`: the labelled rows, written where training reads them."""
    config = RunConfig.model_validate(event.get("input") or {})
    if config.kind not in SUPPORTED_KINDS:
        raise InvalidRequestError(f"retraining supports {', '.join(SUPPORTED_KINDS)}, not {config.kind!r}")
    until = config.until if config.until is not None else time.time()
    since = config.since if config.since is not None else until - config.window_days * 86400
    if since >= until:
        raise InvalidRequestError(f"since ({since}) must be before until ({until})")
    tenant = config.tenant_id or rt.settings.tenant_id
    run_id = (
        config.run_id or f"mastra-{config.kind}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
    )
    trainer = config.trainer or ("sagemaker" if rt.settings.artifacts_bucket else "local")

    def text_of(o: Outcome) -> str | None:
        found = rt.store.get_messages(tenant, o.thread_id, [f"{o.request_id}.0"])
        return found[0].content if found and found[0].role == "user" else None

    rows, dropped = derive_rows(outcomes.outcomes(tenant, since, until), text_of)
    validation = [r for r in rows if _in_validation(r["request_id"], config.validation_share)]
    train = [r for r in rows if not _in_validation(r["request_id"], config.validation_share)]
    out = Export(
        config=config,
        run_id=run_id,
        kind=config.kind,
        tenant_id=tenant,
        since=since,
        until=until,
        trainer=trainer,
        poll_seconds=config.poll_seconds,
        rows={
            "train": len(train),
            "validation": len(validation),
            "relabelled": sum(r["source"] == "relabelled" for r in rows),
        },
        dropped=dropped,
        enough=len(train) >= config.min_train_rows and len(validation) >= config.min_validation_rows,
        reason="",
    )
    if not out.enough:
        out.reason = (
            f"not enough new data: {len(train)} train rows (need {config.min_train_rows}), "
            f"{len(validation)} held-out rows (need {config.min_validation_rows})"
        )
        return out.model_dump()
    out.train = _put_rows(rt, out, "train", train)
    out.validation = _put_rows(rt, out, "validation", validation)
    return out.model_dump()


# ---- StartTraining / CheckTraining ---------------------------------------------------------------


class Trainer(Protocol):
    def start(self, export: Export, channels: dict[str, Path | str]) -> str: ...
    def describe(self, export: Export, job: str) -> dict[str, Any]: ...


class LocalTrainer:
    """The SageMaker job's local stand-in: the same script-mode entry point, run synchronously in a
    subprocess; its status is kept in a file beside the run's data so CheckTraining can read it."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _status_file(self, export: Export) -> Path:
        return _local_root(self.rt, export.kind, export.run_id) / "job" / "status.json"

    def start(self, export: Export, channels: dict[str, Path | str]) -> str:
        from mastra.training.kinds import kind
        from mastra.training.local import TrainingError, run_script_mode

        work = _local_root(self.rt, export.kind, export.run_id) / "job"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        status: dict[str, Any]
        try:
            run = run_script_mode(
                kind(export.kind).entry,
                work,
                channels={n: Path(p) for n, p in channels.items()},
                hyperparameters=export.config.hyperparameters,
            )
            status = {"status": "Completed", "model_artifact": str(run.model_dir), "failure": None}
        except TrainingError as exc:
            status = {"status": "Failed", "model_artifact": None, "failure": exc.message[-1000:]}
        self._status_file(export).write_text(json.dumps(status))
        return export.run_id

    def describe(self, export: Export, job: str) -> dict[str, Any]:
        path = self._status_file(export)
        if not path.exists():
            raise NotFoundError(f"no local training job {job}")
        return dict(json.loads(path.read_text()))


class SageMakerTrainer:
    """A SageMaker training job (role and image from ``RETRAINING_ROLE_ARN`` and
    ``RETRAINING_IMAGE_URI``, set by template.yaml on the retraining function)."""

    def __init__(self, rt: Runtime) -> None:
        from mastra.training.sagemaker import SageMakerTraining

        self.training = SageMakerTraining(
            _bucket(rt),
            os.environ.get("RETRAINING_ROLE_ARN", ""),
            os.environ.get("RETRAINING_IMAGE_URI", ""),
            instance_type=os.environ.get("RETRAINING_INSTANCE_TYPE") or "ml.m5.large",
        )

    def start(self, export: Export, channels: dict[str, Path | str]) -> str:
        from mastra.training.kinds import kind

        k = kind(export.kind)
        return self.training.start(
            k.name, k.entry, channels, hyperparameters=export.config.hyperparameters, job_name=export.run_id
        )

    def describe(self, export: Export, job: str) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            described = self.training.describe(job)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"sagemaker: cannot describe {job}: {exc}") from exc
        return {"model_artifact": None, "failure": None, **described}


def trainer_for(rt: Runtime, export: Export) -> Trainer:
    return LocalTrainer(rt) if export.trainer == "local" else SageMakerTrainer(rt)


def start_training(event: dict[str, Any], rt: Runtime) -> dict[str, Any]:
    """``{"export"}`` -> ``{"job"}``: the data channels, and the agent specs for the router."""
    export = Export.model_validate(event["export"])
    assert export.train is not None and export.validation is not None
    channels: dict[str, Path | str] = {"train": export.train, "validation": export.validation}
    if export.kind == "router":
        channels["agents"] = rt.settings.agents_dir
    return {"job": trainer_for(rt, export).start(export, channels)}


def check_training(event: dict[str, Any], rt: Runtime) -> dict[str, Any]:
    """``{"export", "job"}`` -> ``{"status", "model_artifact", "failure"}`` (SageMaker's status names)."""
    export = Export.model_validate(event["export"])
    described = trainer_for(rt, export).describe(export, str(event["job"]["job"]))
    return {
        "status": described["status"],
        "model_artifact": described.get("model_artifact"),
        "failure": described.get("failure"),
    }


# ---- Evaluate / Promote ---------------------------------------------------------------------------


def _artifact_dir(rt: Runtime, location: str, into: Path) -> Path:
    """The trained model's files: a local directory, or the job's ``model.tar.gz`` unpacked."""
    if not location.startswith("s3://"):
        return Path(location)
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = location.removeprefix("s3://").partition("/")
    archive = into / "model.tar.gz"
    try:
        _s3(rt).download_file(bucket, key, str(archive))
    except (ClientError, BotoCoreError) as exc:
        raise StorageError(f"s3: cannot download the trained model {location}: {exc}") from exc
    model = into / "model"
    with tarfile.open(archive) as tar:
        tar.extractall(model, filter="data")
    return model


def guard_rows(rt: Runtime, export: Export) -> list[dict[str, Any]]:
    """The guard set: the configured file, else every agent's spec examples (what version 0 learnt)."""
    if export.config.guard:
        return _read_rows(rt, export.config.guard)
    rows = []
    for spec in rt.agents.registry:
        if spec.fallback:
            continue
        texts = [e for c in spec.capabilities for e in c.examples] + list(spec.examples)
        rows += [{"text": t, "domain": spec.id} for t in texts]
    return rows


def decide(
    candidate: dict[str, float], champion: dict[str, float], *, margin: float, tolerance: float
) -> tuple[bool, str]:
    """The promotion rule (module doc) on ``{"heldout", "guard"?}`` accuracies."""
    gain = candidate["heldout"] - champion["heldout"]
    if gain < margin:
        return (
            False,
            f"held-out accuracy {candidate['heldout']:.4f} vs the champion's {champion['heldout']:.4f}: "
            f"gain {gain:+.4f} < {margin:g}",
        )
    if "guard" in candidate and "guard" in champion and candidate["guard"] < champion["guard"] - tolerance:
        return (
            False,
            f"guard accuracy {candidate['guard']:.4f} fell below the champion's "
            f"{champion['guard']:.4f} by more than {tolerance:g}",
        )
    return True, f"held-out accuracy {candidate['heldout']:.4f} beats {champion['heldout']:.4f} by {gain:+.4f}" + (
        f"; guard {candidate['guard']:.4f} vs {champion['guard']:.4f}" if "guard" in candidate else ""
    )


def evaluate(event: dict[str, Any], rt: Runtime) -> dict[str, Any]:
    """``{"export", "training"}`` -> the candidate version, both models' metrics and the decision."""
    from mastra.training import service
    from mastra.training.contract import METRICS_FILE
    from mastra.training.kinds import kind

    export = Export.model_validate(event["export"])
    location = event["training"].get("model_artifact")
    if not location:
        raise InvalidRequestError("the training job reported no model artifact")
    k = kind(export.kind)
    service.ensure_builtin(rt, k)
    registry = rt.registry
    note = f"retraining {export.run_id}"
    existing = [v for v in registry.versions(k.name) if v.note == note]  # a retried Evaluate registers once
    if existing:
        candidate = existing[0]
    else:
        with tempfile.TemporaryDirectory(prefix="mastra-retrain-") as tmp:
            model_dir = _artifact_dir(rt, location, Path(tmp))
            metrics_file = model_dir / METRICS_FILE
            trained = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
            data = {
                "outcomes": {"since": export.since, "until": export.until, "tenant_id": export.tenant_id},
                "train": {"source": export.train, "rows": export.rows["train"]},
                "validation": {"source": export.validation, "rows": export.rows["validation"]},
            }
            candidate = registry.register(
                k.name, model_dir, metrics=trained, data=data, params=export.config.hyperparameters, note=note
            )
    champion = registry.champion(k.name)
    assert export.validation is not None
    heldout, guard = _read_rows(rt, export.validation), guard_rows(rt, export)

    def scores(version: Any) -> dict[str, float]:
        model = k.load(registry.artifact_dir(version))
        out = {"heldout": float(k.evaluate(rt, model, heldout)["accuracy"])}
        if guard:
            out["guard"] = float(k.evaluate(rt, model, guard)["accuracy"])
        return out

    cand = scores(candidate)
    champ = scores(champion) if champion is not None else {"heldout": 0.0}
    if champion is not None and champion.version == candidate.version:
        promote, reason = False, "the candidate is already the champion"
    else:
        promote, reason = decide(cand, champ, margin=export.config.margin, tolerance=export.config.tolerance)
    metrics = {f"candidate_{k_}": v for k_, v in cand.items()} | {f"champion_{k_}": v for k_, v in champ.items()}
    metrics |= {"heldout_rows": float(len(heldout)), "guard_rows": float(len(guard))}
    return {
        "candidate_version": candidate.version,
        "champion_version": None if champion is None else champion.version,
        "metrics": metrics,
        "promote": promote,
        "reason": reason,
    }


def promote(event: dict[str, Any], rt: Runtime) -> dict[str, Any]:
    """``{"export", "evaluation"}`` -> ``{"promoted": true, "reason"}``; ConflictError if the champion changed."""
    export = Export.model_validate(event["export"])
    ev = event["evaluation"]
    rt.registry.store.set_champion(export.kind, int(ev["candidate_version"]), expected=ev["champion_version"])
    return {"promoted": True, "reason": ev["reason"]}


# ---- EmitEvent ----------------------------------------------------------------------------------


def emit(event: dict[str, Any], rt: Runtime) -> dict[str, Any]:
    """``{"outcome": "decided"|"skipped"|"failed", "state"}`` -> the ``retraining.finished`` event, published."""
    from mastra.events.models import RetrainingFinished

    state: dict[str, Any] = event.get("state") or {}
    export = state.get("export") or {}
    config = state  # the run's input, when ExportData itself failed
    run_id = str(export.get("run_id") or config.get("run_id") or f"failed-{uuid.uuid4().hex[:12]}")
    kind = str(export.get("kind") or config.get("kind") or "router")
    tenant = str(export.get("tenant_id") or config.get("tenant_id") or rt.settings.tenant_id)
    evaluation = state.get("evaluation") or {}
    if event["outcome"] == "skipped":
        outcome, reason = "skipped", str(export.get("reason", ""))
    elif event["outcome"] == "failed":
        error = state.get("error") or {}
        outcome, reason = "failed", f"{error.get('Error', 'unknown')}: {error.get('Cause', '')}"[:2000]
    else:
        decision = state.get("decision") or {}
        outcome = "promoted" if decision.get("promoted") else "rejected"
        reason = str(decision.get("reason") or evaluation.get("reason", ""))
    finished = RetrainingFinished(
        event_id=f"{run_id}:retraining.finished",
        tenant_id=tenant,
        request_id=run_id,
        kind=kind,
        outcome=outcome,
        promoted=outcome == "promoted",
        candidate_version=evaluation.get("candidate_version"),
        champion_version=evaluation.get("champion_version"),
        metrics={k: float(v) for k, v in (evaluation.get("metrics") or {}).items()},
        reason=reason,
    )
    rt.publisher.publish([finished])
    return finished.model_dump(mode="json")


# ---- dispatch -----------------------------------------------------------------------------------

STEPS: dict[str, Callable[[dict[str, Any], Runtime], dict[str, Any]]] = {
    "start_training": start_training,
    "check_training": check_training,
    "evaluate": evaluate,
    "promote": promote,
    "emit": emit,
}


def handle(event: dict[str, Any], runtime: Runtime | None = None, *, outcomes: OutcomeSource | None = None) -> Any:
    """One Task of the retraining state machine: ``event["step"]`` names the step."""
    from mastra.runtime import get_runtime

    rt = runtime or get_runtime()
    step = event.get("step")
    if step == "export":
        return export(event, rt, outcomes or outcome_source(rt))
    if step not in STEPS:
        raise InvalidRequestError(f"no retraining step {step!r}")
    return STEPS[str(step)](event, rt)
