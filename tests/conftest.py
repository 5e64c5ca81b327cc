"""Shared fixtures. Every test runs with its own data dir and fake AWS credentials; nothing leaves loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MASTRA_SHARED_DATA", REPO.parent / "shared" / "data"))

# Before anything imports boto3: no test may reach real AWS.
for key, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[key] = value
os.environ.pop("AWS_PROFILE", None)


def shared_data(*parts: str) -> Path:
    """A file of the shared data sets; skipped locally if absent, an error under CI."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            raise FileNotFoundError(f"shared data missing under CI: {path}")
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from mastra.settings import get_settings

    home = tmp_path_factory.mktemp("mastra-home")
    monkeypatch.setenv("MASTRA_HOME", str(home))
    for var in ("MASTRA_AGENTS_DIR", "MASTRA_PROVIDER_OVERRIDE", "MASTRA_TENANT_ID"):
        monkeypatch.delenv(var, raising=False)
    # The selection bandit never explores in tests (reproducible agents) and reads fresh rewards.
    monkeypatch.setenv("MASTRA_BANDIT_EPSILON", "0")
    monkeypatch.setenv("MASTRA_BANDIT_TTL_S", "0")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def agent_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One compiled-agents cache for the session: compiling the example agents once is enough."""
    return tmp_path_factory.mktemp("agent-cache")


@pytest.fixture
def settings(_isolated_home: Path, agent_cache: Path):  # type: ignore[no-untyped-def]
    from mastra.settings import Settings

    return Settings.from_env(home=_isolated_home)


@pytest.fixture
def runtime(settings, agent_cache: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A runtime on a fresh SQLite file, JSON round-trips between steps (as in Lambda), no retry sleeps."""
    from mastra.agents.agentset import AgentSet
    from mastra.runtime import Runtime

    rt = Runtime(settings, sleep=lambda s: None, strict_json=True)
    rt.__dict__["agents"] = AgentSet.load(settings.agents_dir, agent_cache)
    yield rt
    rt.store.close()


@pytest.fixture
def client(runtime):  # type: ignore[no-untyped-def]
    """The API over ``runtime``, authenticated with an admin key of the deployment's tenant."""
    from tests.apiclient import api_client

    return api_client(runtime)
