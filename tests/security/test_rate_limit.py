"""Rate limiting per API key: the bucket math, the limiter's policy, and the API's 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from mastra.api import create_app
from mastra.api.deps import principal_dep
from mastra.errors import RateLimitedError, StorageError
from mastra.runtime import Runtime
from mastra.security.principal import ALL_SCOPES, Principal
from mastra.security.ratelimit import Bucket, Decision, Limits, RateLimiter, limits_for, take
from mastra.security.ratelimit_store import RateLimitStore
from mastra.settings import Settings

L = Limits(rate_per_s=4.0, burst=2)


# ---- the bucket math (pure) ----------------------------------------------------------------------------
def test_a_new_bucket_is_full() -> None:
    d = take(None, L, 10.0)
    assert d.admitted and d.bucket == Bucket(1.0, 10.0) and d.remaining == 1


def test_an_empty_bucket_refuses_with_the_time_to_the_next_token() -> None:
    d = take(Bucket(0.5, 10.0), L, 10.0)
    assert not d.admitted and d.retry_after_s == pytest.approx(0.125) and d.bucket == Bucket(0.5, 10.0)


def test_refill_is_rate_times_elapsed_capped_at_the_burst() -> None:
    assert take(Bucket(0.0, 10.0), L, 10.25).bucket == Bucket(0.0, 10.25)  # 1 token earned, 1 spent
    assert take(Bucket(0.0, 10.0), L, 99.0).bucket == Bucket(1.0, 99.0)  # capped at 2, 1 spent


def test_a_clock_behind_the_bucket_mints_no_tokens() -> None:
    d = take(Bucket(0.0, 10.0), L, 9.0)  # another instance's clock ran ahead
    assert not d.admitted and d.bucket == Bucket(0.0, 10.0)


def test_admits_over_time_never_exceed_burst_plus_rate_times_elapsed() -> None:
    bucket: Bucket | None = None
    admitted = 0
    for i in range(1000):  # a request every 10 ms for 10 s
        d = take(bucket, L, 100.0 + i * 0.01)
        bucket, admitted = d.bucket, admitted + d.admitted
    assert admitted == pytest.approx(L.burst + L.rate_per_s * 9.99, abs=1)


def test_a_key_s_own_rate_wins_over_the_defaults() -> None:
    s = Settings(rate_per_s=5, rate_burst=10)
    p = Principal(tenant_id="t", scopes=frozenset({"chat"}), key_id="k")
    assert limits_for(p, s) == Limits(5.0, 10)
    assert limits_for(p.model_copy(update={"rate_per_s": 0.5, "burst": 1}), s) == Limits(0.5, 1)
    assert not limits_for(p, Settings()).enabled  # default: 0 = off
    assert limits_for(p.model_copy(update={"rate_per_s": 1.0}), Settings()).enabled  # a key may set a limit alone


# ---- the limiter's policy when its store fails -----------------------------------------------------------
class BrokenStore(RateLimitStore):
    backend = "broken"

    def take(self, tenant_id: str, actor: str, limits: Limits, now: float) -> Decision:
        raise StorageError("dynamodb: cannot read a rate-limit bucket: ThrottlingException")

    def _read(self, tenant_id: str, actor: str) -> tuple[Bucket | None, int]:
        raise NotImplementedError

    def _write(self, tenant_id: str, actor: str, bucket: Bucket, version: int, *, expires_at: float) -> bool:
        raise NotImplementedError


KEY = Principal(tenant_id="t", scopes=frozenset({"chat"}), key_id="k")


def test_the_limiter_fails_open_with_a_log_and_a_metric(caplog: pytest.LogCaptureFixture) -> None:
    counted: list[int] = []
    limiter = RateLimiter(BrokenStore(), Settings(rate_per_s=1), on_store_error=lambda: counted.append(1))
    assert limiter.check(KEY) is None  # admitted
    assert limiter.store_errors == 1 and counted == [1]
    assert "rate limit not enforced" in caplog.text


def test_the_limiter_raises_rate_limited_with_the_wait(tmp_path: Path) -> None:
    from mastra.security.ratelimit_sqlite import SQLiteRateLimitStore
    from mastra.storage.sqlite_db import SQLiteDatabase

    store = SQLiteRateLimitStore(SQLiteDatabase(tmp_path / "m.db"))
    limiter = RateLimiter(store, Settings(rate_per_s=0.1, rate_burst=2), clock=lambda: 50.0)
    assert [limiter.check(KEY) is not None for _ in range(2)] == [True, True]
    with pytest.raises(RateLimitedError) as caught:
        limiter.check(KEY)
    assert caught.value.retry_after_s == pytest.approx(10.0)
    assert limiter.check(KEY.model_copy(update={"rate_per_s": 0.0})) is None  # a key with rate 0: unlimited


def test_the_limiter_can_fail_closed() -> None:
    settings = Settings(rate_per_s=1, rate_limit_fail_open=False)
    limiter = RateLimiter(BrokenStore(), settings, on_store_error=lambda: None)
    with pytest.raises(StorageError):
        limiter.check(KEY)


def test_the_store_error_metric_goes_to_powertools_on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools import Metrics

    from mastra.security.ratelimit import _count_store_error
    from mastra.stats.metrics import METRIC_NAMES, NAMESPACE, RATE_LIMIT_STORE_ERRORS, SERVICE

    assert RATE_LIMIT_STORE_ERRORS in METRIC_NAMES
    metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
    metrics.clear_metrics()
    _count_store_error()  # off Lambda: nothing
    assert RATE_LIMIT_STORE_ERRORS not in metrics.metric_set
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "mastra-api")
    _count_store_error()
    assert metrics.metric_set[RATE_LIMIT_STORE_ERRORS]["Value"] == [1.0]
    metrics.clear_metrics()


def test_a_missing_dynamodb_table_fails_open() -> None:
    """A real store failure (moto, no table): the request is admitted, not a 500."""
    import boto3
    from moto import mock_aws

    from mastra.security.ratelimit_dynamodb import DynamoDBRateLimitStore

    with mock_aws():
        limiter = RateLimiter(
            DynamoDBRateLimitStore("no-such-table", client=boto3.client("dynamodb")),
            Settings(rate_per_s=1),
            on_store_error=lambda: None,
        )
        assert limiter.check(KEY) is None and limiter.store_errors == 1


# ---- over HTTP --------------------------------------------------------------------------------------------
def principal_from_header(request: Request) -> Principal:
    """Stands in for authentication: the test names the key (and its limits) in headers."""
    rate = request.headers.get("x-test-rate")
    return Principal(
        tenant_id=request.headers.get("x-test-tenant", "default"),
        scopes=frozenset(ALL_SCOPES),
        key_id=request.headers.get("x-test-key", "key-a"),
        rate_per_s=float(rate) if rate else None,
        burst=int(request.headers["x-test-burst"]) if "x-test-burst" in request.headers else None,
    )


@pytest.fixture
def make_client(runtime: Runtime) -> Iterator[Callable[..., TestClient]]:
    def make(**settings: object) -> TestClient:
        runtime.settings = runtime.settings.model_copy(update=settings)
        runtime.__dict__.pop("rate_limiter", None)
        app = create_app(runtime)
        app.dependency_overrides[principal_dep] = principal_from_header
        return TestClient(app)

    yield make


def test_over_the_limit_is_a_429_with_retry_after_and_a_reason(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_per_s=0.1, rate_burst=2)
    assert [client.get("/v1/agents").status_code for _ in range(2)] == [200, 200]
    r = client.get("/v1/agents")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "10"  # one token at 0.1/s
    body = r.json()
    assert body["error"] == "rate_limited" and "rate limit of 0.1/s (burst 2) exceeded" in body["message"]
    assert body["details"]["retry_after_s"] == pytest.approx(10.0, abs=0.1)


def test_every_authenticated_route_spends_from_the_same_bucket(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_per_s=0.01, rate_burst=3)
    assert client.get("/v1/agents").status_code == 200
    assert client.get("/v1/prompts").status_code == 200
    assert client.get("/v1/stats").status_code == 200
    for method, path in [
        ("GET", "/v1/agents"),
        ("GET", "/v1/threads?user_id=u1"),
        ("POST", "/v1/chat"),
        ("POST", "/v1/feedback"),
        ("GET", "/v1/prompts"),
        ("DELETE", "/v1/users/u1"),
    ]:
        r = client.request(method, path, json={"message": "hi"} if method == "POST" else None)
        assert r.status_code == 429, (method, path, r.status_code)


def test_public_routes_are_not_limited(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_per_s=0.01, rate_burst=1)
    assert client.get("/v1/agents").status_code == 200
    assert client.get("/v1/agents").status_code == 429
    for path in ["/healthz", "/openapi.json", "/docs", "/ui"] * 3:
        assert client.get(path).status_code == 200, path


def test_buckets_are_per_key_and_per_tenant(make_client: Callable[..., TestClient]) -> None:
    client = make_client(rate_per_s=0.01, rate_burst=1)
    assert client.get("/v1/agents", headers={"x-test-key": "a"}).status_code == 200
    assert client.get("/v1/agents", headers={"x-test-key": "a"}).status_code == 429
    assert client.get("/v1/agents", headers={"x-test-key": "b"}).status_code == 200
    assert client.get("/v1/agents", headers={"x-test-key": "a", "x-test-tenant": "other"}).status_code == 200


def test_a_key_s_own_limit_applies_even_when_the_default_is_off(make_client: Callable[..., TestClient]) -> None:
    client = make_client()  # MASTRA_RATE_PER_S=0
    assert all(client.get("/v1/agents").status_code == 200 for _ in range(30))
    slow = {"x-test-key": "slow", "x-test-rate": "0.5", "x-test-burst": "1"}
    assert client.get("/v1/agents", headers=slow).status_code == 200
    r = client.get("/v1/agents", headers=slow)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"


def test_a_rejected_request_runs_nothing(make_client: Callable[..., TestClient], runtime: Runtime) -> None:
    client = make_client(rate_per_s=0.01, rate_burst=1)
    assert client.post("/v1/chat", json={"message": "hello", "user_id": "ana"}).status_code == 200
    r = client.post("/v1/chat", json={"message": "hello again", "user_id": "ana"})
    assert r.status_code == 429
    [thread] = runtime.store.list_threads("default", "ana").items
    assert len(runtime.store.recent_messages("default", thread.thread_id, 10)) == 2  # one turn


def test_the_limit_holds_across_app_instances_sharing_the_store(runtime: Runtime) -> None:
    """Two API processes (two runtimes on one SQLite file) draw from one bucket, as Lambdas do on DynamoDB."""
    settings = runtime.settings.model_copy(update={"rate_per_s": 0.01, "rate_burst": 2})
    clients = []
    for _ in range(2):
        rt = Runtime(settings)
        rt.__dict__["agents"] = runtime.agents
        app = create_app(rt)
        app.dependency_overrides[principal_dep] = principal_from_header
        clients.append(TestClient(app))
    codes = [clients[i % 2].get("/v1/agents").status_code for i in range(4)]
    assert codes == [200, 200, 429, 429]
