"""The model registry: content-addressed artifacts, numbered versions, the promotion gate, hot reload."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from mastra.errors import NotFoundError, StorageError
from mastra.registry import ChampionCache, LocalArtifacts, ModelRegistry, S3Artifacts
from mastra.storage import ModelVersion, SQLiteStore


def artifact(tmp_path: Path, name: str, score: float) -> Path:
    d = tmp_path / "built" / name
    (d / "sub").mkdir(parents=True, exist_ok=True)
    (d / "score.txt").write_text(str(score))
    (d / "sub" / "weights.bin").write_bytes(name.encode() * 100)
    return d


def read_score(directory: Path) -> float:
    return float((directory / "score.txt").read_text())


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    store = SQLiteStore(tmp_path / "mastra.db")
    return ModelRegistry(store, LocalArtifacts(tmp_path / "artifacts"), tmp_path / "cache", clock=lambda: 42.0)


def test_registered_versions_keep_their_files_metrics_and_data(registry: ModelRegistry, tmp_path: Path) -> None:
    v = registry.register(
        "router", artifact(tmp_path, "a", 0.9), metrics={"accuracy": 0.9}, data={"rows": 10}, params={"lr": 0.1}
    )
    assert (v.version, v.status, v.created_at, v.metrics, v.data, v.params) == (
        1,
        "candidate",
        42.0,
        {"accuracy": 0.9},
        {"rows": 10},
        {"lr": 0.1},
    )
    files = registry.artifact_dir(v)
    assert read_score(files) == 0.9 and (files / "sub" / "weights.bin").read_bytes() == b"a" * 100
    again = registry.register("router", artifact(tmp_path, "a", 0.9))
    assert again.version == 2 and again.artifact == v.artifact  # same files: stored once


def test_the_gate_promotes_only_a_clear_improvement(registry: ModelRegistry, tmp_path: Path) -> None:
    base = registry.register("router", artifact(tmp_path, "base", 0.80))
    assert registry.promote_if_better("router", base.version, read_score, margin=0.01).promoted  # no champion yet
    close = registry.register("router", artifact(tmp_path, "close", 0.805))
    decision = registry.promote_if_better("router", close.version, read_score, margin=0.01)
    assert not decision.promoted and decision.champion == 0.80 and "does not beat" in decision.reason
    better = registry.register("router", artifact(tmp_path, "better", 0.85))
    assert registry.promote_if_better("router", better.version, read_score, margin=0.01).promoted
    assert registry.champion("router").version == better.version  # type: ignore[union-attr]
    registry.promote("router", base.version)  # rollback: one call
    assert [v.status for v in registry.versions("router")] == ["champion", "candidate", "retired"]
    with pytest.raises(NotFoundError):
        registry.promote_if_better("router", 99, read_score, margin=0.01)


def test_the_champion_cache_picks_up_a_promotion_after_its_ttl(registry: ModelRegistry, tmp_path: Path) -> None:
    now = [0.0]
    loads: list[int] = []

    def load(directory: Path, version: ModelVersion) -> float:
        loads.append(version.version)
        return read_score(directory)

    cache = ChampionCache(registry, "router", load, ttl_s=60, clock=lambda: now[0])
    assert cache.get() is None
    first = registry.register("router", artifact(tmp_path, "one", 0.7))
    registry.promote("router", first.version)
    now[0] = 61
    assert cache.get() == (1, 0.7)
    second = registry.register("router", artifact(tmp_path, "two", 0.9))
    registry.promote("router", second.version)
    now[0] = 100
    assert cache.get() == (1, 0.7)  # within the TTL: no read, the loaded model serves
    now[0] = 122
    assert cache.get() == (2, 0.9)
    now[0] = 200
    assert cache.get() == (2, 0.9) and loads == [1, 2]  # the pointer is re-read; the model is not reloaded


def test_a_registry_outage_keeps_the_loaded_champion(registry: ModelRegistry, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    now = [0.0]
    registry.promote("router", registry.register("router", artifact(tmp_path, "one", 0.7)).version)
    cache = ChampionCache(registry, "router", lambda d, v: read_score(d), ttl_s=60, clock=lambda: now[0])
    assert cache.get() == (1, 0.7)

    def down(kind: str) -> None:
        raise StorageError("table throttled")

    monkeypatch.setattr(registry, "champion", down)
    now[0] = 120
    assert cache.get() == (1, 0.7)
    fresh = ChampionCache(registry, "router", lambda d, v: read_score(d), ttl_s=60, clock=lambda: now[0])
    with pytest.raises(StorageError):  # nothing loaded yet: fail loudly
        fresh.get()


def test_s3_artifacts_round_trip_once_per_cache(tmp_path: Path) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="artifacts")
        store = S3Artifacts("artifacts", client=s3)
        uri = store.put("router", artifact(tmp_path, "a", 0.9))
        assert uri.startswith("s3://artifacts/models/router/") and uri.endswith("/")
        local = store.fetch(uri, tmp_path / "cache")
        assert read_score(local) == 0.9 and (local / "sub" / "weights.bin").read_bytes() == b"a" * 100
        # The second fetch is served from the cache, with no call to S3.
        calls: list[str] = []
        s3.meta.events.register("before-call.s3", lambda **kw: calls.append(kw["event_name"]))
        assert store.fetch(uri, tmp_path / "cache") == local and calls == []
        with pytest.raises(NotFoundError):
            store.fetch("s3://artifacts/models/router/nope/", tmp_path / "cache2")
