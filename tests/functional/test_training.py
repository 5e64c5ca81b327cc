"""Training under SageMaker's script-mode contract: locally in a subprocess, and as a SageMaker job (moto)."""

from __future__ import annotations

import io
import json
import random
import tarfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from mastra.runtime import Runtime
from mastra.selection.prototype import PrototypeRouter
from mastra.training import service
from mastra.training.contract import ScriptModePaths
from mastra.training.kinds import kind
from mastra.training.local import TrainingError, run_script_mode
from mastra.training.sagemaker import SageMakerTraining

GOOD = ["wonderful", "great", "moving", "delightful", "superb", "charming", "brilliant", "funny"]
BAD = ["awful", "boring", "dull", "tedious", "terrible", "clumsy", "lifeless", "bland"]
FILLER = ["the film", "this movie", "the plot", "its cast", "the ending", "the script"]


def rows(n: int, seed: int) -> list[dict[str, object]]:
    """Toy sentiment rows: a filler subject and two words of one polarity (deterministic)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        label = rng.randint(0, 1)
        words = rng.sample(GOOD if label else BAD, 2)
        out.append({"text": f"{rng.choice(FILLER)} is {words[0]} and {words[1]}", "label": label})
    return out


def write(path: Path, data: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in data))
    return path


TINY_AGENTS = {
    "films.yaml": (
        "id: films\nname: Films\ndescription: Film reviews and what people think of movies.\n"
        "capabilities:\n  - name: review\n    examples: [review the new batman movie, was the film any good]\n"
        "examples: [what did critics say about the movie, is this film worth watching]\nmodel: {provider: fake}\n"
    ),
    "weather.yaml": (
        "id: weather\nname: Weather\ndescription: The forecast, rain, snow and temperature.\n"
        "capabilities:\n  - name: forecast\n    examples: [will it rain tomorrow, what is the forecast for paris]\n"
        "examples: [how cold is it outside, is it going to snow this weekend]\nmodel: {provider: fake}\n"
    ),
    "fallback.yaml": (
        "id: fallback\nname: Fallback\ndescription: Anything else.\nfallback: true\nmodel: {provider: fake}\n"
    ),
}


def agents_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "agents"
    directory.mkdir()
    for name, text in TINY_AGENTS.items():
        (directory / name).write_text(text)
    return directory


def test_the_contract_defaults_are_sagemakers_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = ScriptModePaths.from_env({})
    assert (paths.model_dir, paths.output_dir) == (Path("/opt/ml/model"), Path("/opt/ml/output/data"))
    assert paths.train is None and paths.validation is None and paths.agents is None  # no such channels here
    given = ScriptModePaths.from_env({"SM_CHANNEL_TRAIN": "/data/train", "SM_CHANNEL_AGENTS": "/data/agents"})
    assert (given.train, given.agents) == (Path("/data/train"), Path("/data/agents"))


def test_a_local_run_trains_registers_and_evaluates(runtime: Runtime, tmp_path: Path) -> None:
    train, val = write(tmp_path / "train.jsonl", rows(400, 1)), write(tmp_path / "val.jsonl", rows(200, 2))
    sentiment = kind("sentiment")
    v = service.train(runtime, sentiment, {"train": train, "validation": val}, hyperparameters={"l2": 0.5})
    assert v.version == 1 and v.status == "candidate" and v.params == {"l2": 0.5}
    assert v.metrics["accuracy"] > 0.95 and v.metrics["train_rows"] == 400
    assert v.data["train"]["rows"] == 400 and len(v.data["train"]["sha256"]) == 64
    # The built-in model was registered first, as version 0 and champion.
    assert [(x.version, x.status, x.note) for x in runtime.registry.versions("sentiment")] == [
        (0, "champion", "built-in"),
        (1, "candidate", ""),
    ]
    evaluated = service.evaluate(runtime, sentiment, val, version=1)
    assert evaluated["accuracy"] == v.metrics["accuracy"] and evaluated["n"] == 200
    assert service.evaluate(runtime, sentiment, val)["version"] == 0  # the champion by default
    promoted = service.train(runtime, sentiment, {"train": train}, promote=True)
    assert runtime.registry.champion("sentiment").version == promoted.version == 2  # type: ignore[union-attr]


def test_a_router_trains_from_specs_and_rows(runtime: Runtime, tmp_path: Path) -> None:
    labelled = [{"text": t, "domain": "films"} for t in ("rate the movie inception", "was titanic a good film")]
    labelled += [{"text": t, "domain": "weather"} for t in ("is it sunny in rome", "will there be a storm")]
    data = write(tmp_path / "router.jsonl", labelled)  # type: ignore[arg-type]
    channels = {"agents": agents_dir(tmp_path), "train": data}
    v = service.train(runtime, kind("router"), channels, hyperparameters={"reject-rate": 0.05})
    assert v.data["agents"]["files"] == 3 and v.data["train"]["rows"] == 4
    router = PrototypeRouter.load(runtime.registry.artifact_dir(v))
    assert set(router.agent_ids) == {"films", "weather"} and router.fallback_id == "fallback"
    assert len(router.labels) == 2 + 2 + 4 + 2  # descriptions, capabilities, agent examples, row groups
    encode = runtime.encoder.encode
    assert router.route_embedding(encode("will it snow in oslo on friday").embedding, floor=0).agent_id == "weather"
    assert router.route_embedding(encode("which movie won best picture").embedding, floor=0).agent_id == "films"


def test_a_failed_run_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no label"}\n')
    with pytest.raises(TrainingError, match="label"):
        run_script_mode("mastra.training.sentiment_head", tmp_path / "work", channels={"train": bad})
    with pytest.raises(TrainingError, match="no train data"):
        run_script_mode("mastra.training.sentiment_head", tmp_path / "w2", channels={"train": tmp_path / "missing"})
    with pytest.raises(TrainingError, match="needs agent specs"):
        run_script_mode("mastra.training.router_head", tmp_path / "w3", channels={})


def test_the_same_entry_point_starts_as_a_sagemaker_job(tmp_path: Path) -> None:
    train = write(tmp_path / "train.jsonl", rows(50, 3))
    role = "arn:aws:iam::123456789012:role/mastra-training"
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="artifacts")
        sm = boto3.client("sagemaker", region_name="us-east-1")
        trainer = SageMakerTraining("artifacts", role, image, sagemaker=sm, s3=s3)
        channels = {"train": train, "agents": agents_dir(tmp_path)}
        job = trainer.start("router", "mastra.training.router_head", channels, hyperparameters={"holdout": 0.2})
        described = sm.describe_training_job(TrainingJobName=job)
        assert described["AlgorithmSpecification"]["TrainingImage"] == image and described["RoleArn"] == role
        hps = described["HyperParameters"]
        assert hps["holdout"] == "0.2" and json.loads(hps["sagemaker_program"]) == "train_router.py"
        by_name = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in described["InputDataConfig"]}
        assert by_name == {n: f"s3://artifacts/training/router/{job}/input/{n}/" for n in ("train", "agents")}
        data = s3.get_object(Bucket="artifacts", Key=f"training/router/{job}/input/train/data.jsonl")
        assert data["Body"].read() == train.read_bytes()  # the data was exported before the job started
        listed = s3.list_objects_v2(Bucket="artifacts", Prefix=f"training/router/{job}/input/agents/")
        assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed["Contents"]) == sorted(TINY_AGENTS)
        source = json.loads(hps["sagemaker_submit_directory"]).removeprefix("s3://artifacts/")
        body = s3.get_object(Bucket="artifacts", Key=source)["Body"].read()
        archive = tarfile.open(fileobj=io.BytesIO(body))  # noqa: SIM115 - read in memory, nothing to close
        names = archive.getnames()
        assert {"train_router.py", "requirements.txt", "mastra/training/router_head.py"} <= set(names)
        assert "mastra/encoder/assets/model.int8.onnx" in names  # the job encodes with the shipped encoder
        assert not any("__pycache__" in n for n in names)
        script = archive.extractfile("train_router.py").read().decode()  # type: ignore[union-attr]
        assert "from mastra.training.router_head import main" in script
        assert "onnxruntime" in archive.extractfile("requirements.txt").read().decode()  # type: ignore[union-attr]
        assert trainer.describe(job)["status"] in {"InProgress", "Completed"}


def test_mastra_train_and_eval_from_the_command_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    train, val = write(tmp_path / "train.jsonl", rows(300, 4)), write(tmp_path / "val.jsonl", rows(100, 5))
    env = dict(os.environ, MASTRA_HOME=str(tmp_path / "home"))

    def mastra(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mastra", *args], env=env, capture_output=True, text=True)

    p = mastra("train", "sentiment", "--data", str(train), "--validation", str(val), "--promote", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["status"] == "champion" and "encoding: 100%" in p.stderr  # the progress bar
    e = mastra("eval", "sentiment", "--data", str(val), "--json")
    assert e.returncode == 0 and json.loads(e.stdout)["version"] == 1 and json.loads(e.stdout)["accuracy"] > 0.95
    unknown = mastra("train", "weather", "--data", str(train))
    assert unknown.returncode == 2 and "no trainable model kind 'weather'" in unknown.stderr
    nothing = mastra("train", "router")
    assert nothing.returncode != 0 and "--agents DIR, --data" in nothing.stderr


def test_router_metrics_count_rejections_and_oos_exactly() -> None:
    from mastra.selection.base import Selection
    from mastra.training.evaluation import router_metrics

    answers = {"a1": "banking", "a2": "travel", "a3": None, "o1": None, "o2": "travel"}

    def route(text: str) -> Selection:
        agent = answers[text]
        return Selection(agent_id=agent or "fallback", confidence=0.5, fallback=agent is None)

    rows = [
        {"text": "a1", "domain": "banking"},
        {"text": "a2", "domain": "banking"},  # wrong agent
        {"text": "a3", "domain": "travel"},  # rejected: counts as wrong
        {"text": "o1", "domain": "oos"},  # rejected: right
        {"text": "o2", "domain": "oos"},  # routed: missed
    ]
    m = router_metrics(route, rows)
    assert (m["n"], m["accuracy"], m["in_scope_accuracy"], m["oos_recall"]) == (5, 0.4, 0.3333, 0.5)
    assert m["per_class"]["banking"] == {"precision": 1.0, "recall": 0.5, "n": 2.0}
    assert m["per_class"]["travel"] == {"precision": 0.0, "recall": 0.0, "n": 1.0}


def test_mastra_eval_router_prints_the_documented_keys(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    data = write(
        tmp_path / "router.jsonl",
        [
            {"text": "how do i transfer money to my savings account", "domain": "banking"},
            {"text": "book me a flight to paris", "domain": "travel"},
            {"text": "zxqv blorp wibble", "domain": "oos"},
        ],
    )
    env = dict(os.environ, MASTRA_HOME=str(tmp_path / "home"))
    p = subprocess.run(
        [sys.executable, "-m", "mastra", "eval", "router", "--data", str(data), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert {"n", "accuracy", "in_scope_accuracy", "oos_recall", "ms_per_item"} <= set(out) and out["n"] == 3
    assert out["per_class"]["banking"]["recall"] == 1.0
