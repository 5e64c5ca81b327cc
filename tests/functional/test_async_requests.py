"""Async requests on the embedded default: 202 then poll, signed callbacks, URL rules, tenants,
leases (a crash mid-run re-runs, never loses) and redelivery (nothing runs twice)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mastra.api import create_app
from mastra.api.deps import principal_dep
from mastra.async_requests import AsyncChatRequest, QueuedRequest, RunAgain, check_callback_url
from mastra.async_requests.callbacks import Attempt, CallbackSender, LocalCallbackSecrets
from mastra.async_requests.queue import LocalRequestQueue
from mastra.async_requests.service import LocalWorkers
from mastra.errors import InvalidRequestError, NotFoundError, ProviderThrottledError
from mastra.runtime import Runtime
from mastra.security import signing
from mastra.security.principal import ALL_SCOPES, Principal

MESSAGE = {"message": "how do i transfer money to my savings account", "user_id": "alice"}


class Receiver:
    """A loopback HTTP server that records each callback and whether its signature verified."""

    def __init__(self, secret: bytes, statuses: list[int] | None = None) -> None:
        self.secret = secret
        self.statuses = list(statuses or [])  # answers to give, in order (then 200)
        self.calls: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers.get(signing.HEADER, "")
                receiver.calls.append(
                    {
                        "body": json.loads(body),
                        "verified": signing.verify(receiver.secret, body, header),
                        "tampered_verifies": signing.verify(receiver.secret, body + b" ", header),
                        "attempt": self.headers.get("Mastra-Delivery-Attempt"),
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/mastra"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    runtime.async_requests.sender.sleep = lambda s: None  # no backoff sleeps in tests
    with TestClient(create_app(runtime)) as c:  # the lifespan starts (and stops) the queue's workers
        yield c


def wait_done(client: TestClient, request_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = client.get(f"/v1/requests/{request_id}")
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("succeeded", "failed"):
            return r.json()  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"request {request_id} not done after {timeout_s} s")


def count_runs(runtime: Runtime) -> list[int]:
    runs = [0]
    pipeline = runtime.pipeline
    original = pipeline.run

    def counted(data: dict[str, Any]) -> Any:
        runs[0] += 1
        return original(data)

    pipeline.run = counted  # type: ignore[method-assign]
    return runs


# ---- the API flow ------------------------------------------------------------------------------------


def test_post_returns_202_at_once_then_the_status_reaches_succeeded(client: TestClient, runtime: Runtime) -> None:
    r = client.post("/v1/requests", json=MESSAGE)
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert accepted["status"] == "queued" and accepted["request_id"] and accepted["thread_id"]
    assert r.headers["Location"] == accepted["status_url"] == f"/v1/requests/{accepted['request_id']}"
    done = wait_done(client, accepted["request_id"])
    assert done["status"] == "succeeded" and done["error"] is None and done["runs"] == 1, done
    result = done["result"]
    assert result["request_id"] == accepted["request_id"] and result["thread_id"] == accepted["thread_id"]
    assert result["agent"] == "banking" and result["answer"]
    # The turn is stored under the same request id, exactly once.
    assert runtime.store.get_request("default", accepted["request_id"]) is not None
    assert len(runtime.store.recent_messages("default", accepted["thread_id"], 10)) == 2
    assert "revision" not in done and "expires_at" not in done


def test_the_callback_is_signed_with_the_tenants_secret_and_its_delivery_recorded(
    client: TestClient, runtime: Runtime
) -> None:
    secret = runtime.async_requests.sender.secrets.get("default")
    with Receiver(secret, statuses=[503]) as receiver:  # the first delivery fails: retried
        r = client.post("/v1/requests", json={**MESSAGE, "callback_url": receiver.url})
        assert r.status_code == 202, r.text
        rid = r.json()["request_id"]
        done = wait_done(client, rid)
        deadline = time.monotonic() + 10
        while done["callback"]["status"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.05)
            done = client.get(f"/v1/requests/{rid}").json()
    assert [c["attempt"] for c in receiver.calls] == ["1", "2"]
    assert all(c["verified"] for c in receiver.calls)
    assert not any(c["tampered_verifies"] for c in receiver.calls)
    body = receiver.calls[-1]["body"]
    assert body["request_id"] == rid and body["status"] == "succeeded" and body["result"]["answer"]
    assert "tenant_id" not in body and "callback" not in body
    assert done["callback"] == {
        "url": receiver.url,
        "status": "delivered",
        "attempts": 2,
        "last_status_code": 200,
        "last_error": None,
        "delivered_at": done["callback"]["delivered_at"],
    }
    # The secret is kept private to the owner of the data dir.
    path = runtime.settings.home / "callback-secrets" / "default.key"
    assert path.stat().st_mode & 0o077 == 0 and path.read_bytes() == secret


def test_a_callback_refused_by_the_receiver_is_recorded_as_failed_and_the_result_stands(
    client: TestClient, runtime: Runtime
) -> None:
    secret = runtime.async_requests.sender.secrets.get("default")
    with Receiver(secret, statuses=[410]) as receiver:  # a 4xx other than 408/429 is final
        rid = client.post("/v1/requests", json={**MESSAGE, "callback_url": receiver.url}).json()["request_id"]
        done = wait_done(client, rid)
        deadline = time.monotonic() + 10
        while done["callback"]["status"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.05)
            done = client.get(f"/v1/requests/{rid}").json()
    assert len(receiver.calls) == 1
    assert done["status"] == "succeeded" and done["result"]["answer"]
    assert done["callback"]["status"] == "failed" and done["callback"]["last_status_code"] == 410


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/x", "only https URLs are called back"),
        ("http://10.1.2.3/hook", "http callbacks must go to a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "http callbacks must go to a loopback address"),
        ("http://user:pw@127.0.0.1/hook", "credentials in the URL are not allowed"),
        ("http:///nohost", "the URL has no host"),
        ("http://127.0.0.1:99999/", "not a URL"),
    ],
)
def test_a_callback_url_that_may_not_be_called_is_a_422_with_the_reason(
    client: TestClient, runtime: Runtime, url: str, reason: str
) -> None:
    r = client.post("/v1/requests", json={**MESSAGE, "callback_url": url})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_request" and reason in body["message"], body
    assert body["details"]["callback_url"] == url
    assert runtime.async_requests.queue.queue.depth() == (0, 0)  # type: ignore[attr-defined]  # nothing queued


def test_bad_bodies_are_422s() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        AsyncChatRequest.model_validate({"message": "hi", "agent": "x"})


def test_another_tenant_gets_404_and_a_scope_is_needed(client: TestClient) -> None:
    rid = client.post("/v1/requests", json=MESSAGE).json()["request_id"]
    wait_done(client, rid)
    app = client.app
    app.dependency_overrides[principal_dep] = lambda: Principal(tenant_id="other", scopes=frozenset(ALL_SCOPES))  # type: ignore[attr-defined]
    try:
        r = client.get(f"/v1/requests/{rid}")
        assert r.status_code == 404 and r.json()["error"] == "not_found", r.text
        app.dependency_overrides[principal_dep] = lambda: Principal(tenant_id="default", scopes=frozenset({"stats"}))  # type: ignore[attr-defined]
        assert client.get(f"/v1/requests/{rid}").status_code == 403
        assert client.post("/v1/requests", json=MESSAGE).status_code == 403
    finally:
        app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert client.get(f"/v1/requests/{rid}").status_code == 200
    assert client.get("/v1/requests/no-such-request").status_code == 404
    assert client.get("/v1/requests/bad id!").status_code == 422


def test_a_thread_of_another_user_is_refused_before_anything_is_queued(client: TestClient, runtime: Runtime) -> None:
    thread = client.post("/v1/chat", json=MESSAGE).json()["thread_id"]
    r = client.post("/v1/requests", json={**MESSAGE, "user_id": "mallory", "thread_id": thread})
    assert r.status_code == 409, r.text
    assert runtime.async_requests.queue.queue.depth() == (0, 0)  # type: ignore[attr-defined]


# ---- the worker: leases, retries, redelivery ------------------------------------------------------------


def _queued(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, QueuedRequest]:
    """A submitted request whose message no worker has taken yet."""
    service = runtime.async_requests
    monkeypatch.setattr(service, "_wake", lambda: None)
    status = service.submit(AsyncChatRequest.model_validate(MESSAGE), "default")
    queue = service.queue.queue  # type: ignore[attr-defined]
    row = queue.db.conn().execute("SELECT body FROM async_queue WHERE request_id = ?", (status.request_id,)).fetchone()
    return status, QueuedRequest.model_validate_json(row[0])


def test_a_worker_that_dies_mid_run_loses_nothing_the_lease_runs_out_and_it_runs_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = runtime.async_requests
    status, _message = _queued(runtime, monkeypatch)
    queue = service.queue.queue  # type: ignore[attr-defined]
    queue.lease_s = 0.2
    first = queue.claim()
    assert first is not None and first.receives == 1
    service._change(service.get("default", status.request_id), status="running", runs=1)  # then it "crashes"
    assert queue.claim() is None  # leased: no one else takes it meanwhile
    time.sleep(0.25)
    runs = count_runs(runtime)
    assert LocalWorkers(service, queue).run_once()
    done = service.get("default", status.request_id)
    assert done.status == "succeeded" and done.runs == 2 and runs == [1]
    assert queue.depth() == (0, 0)


def test_a_retryable_failure_runs_again_then_the_last_receive_fails_the_record_and_parks_the_message(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = runtime.async_requests
    status, _message = _queued(runtime, monkeypatch)
    queue = service.queue.queue  # type: ignore[attr-defined]

    def throttled(context: Any, *, resume: bool = False) -> Any:
        raise ProviderThrottledError("slow down")

    monkeypatch.setattr(runtime, "run", throttled)
    workers = LocalWorkers(service, queue, backoff_s=0)
    for receive in range(1, service.max_receives + 1):
        assert workers.run_once()
        record = service.get("default", status.request_id)
        if receive < service.max_receives:
            assert record.status == "queued" and record.error is not None and record.error.retryable
    assert record.status == "failed" and record.runs == service.max_receives
    assert record.error is not None and record.error.error == "provider_throttled"
    assert queue.depth() == (0, 1)  # dead, kept
    assert not workers.run_once()  # never run again


def test_a_permanent_error_fails_at_once_without_retries(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    service = runtime.async_requests
    _status, message = _queued(runtime, monkeypatch)

    def refused(context: Any, *, resume: bool = False) -> Any:
        raise InvalidRequestError("no")

    monkeypatch.setattr(runtime, "run", refused)
    record = service.process(message, receives=1)
    assert record.status == "failed" and record.error is not None and not record.error.retryable
    assert service.process(message, receives=2).runs == 1  # a redelivery does not run it again


def test_a_transient_failure_then_success(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    service = runtime.async_requests
    _status, message = _queued(runtime, monkeypatch)
    real = runtime.run
    calls = [0]

    def flaky(context: Any, *, resume: bool = False) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise ProviderThrottledError("slow down")
        return real(context, resume=resume)

    monkeypatch.setattr(runtime, "run", flaky)
    with pytest.raises(RunAgain):
        service.process(message, receives=1)
    record = service.process(message, receives=2)
    assert record.status == "succeeded" and record.runs == 2 and record.error is None


def test_redelivery_returns_the_stored_result_and_never_runs_the_pipeline_twice(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = runtime.async_requests
    status, message = _queued(runtime, monkeypatch)
    runs = count_runs(runtime)
    # A worker stored the turn, then died before recording the outcome: the record still says queued.
    first = runtime.run(message.context)
    assert service.get("default", status.request_id).status == "queued" and runs == [1]
    again = service.process(message, receives=2)
    assert again.status == "succeeded" and again.result is not None
    assert again.result.answer == first.answer and runs == [1]
    # Delivered once more after it succeeded: nothing at all runs.
    assert service.process(message, receives=3).revision == again.revision and runs == [1]
    assert len(runtime.store.recent_messages("default", status.thread_id, 10)) == 2


def test_erasing_the_user_removes_their_queued_message_and_record(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = runtime.async_requests
    status, _ = _queued(runtime, monkeypatch)
    assert service.queue.queue.depth() == (1, 0)  # type: ignore[attr-defined]
    runtime.store.erase_user("default", "alice")
    assert service.queue.queue.depth() == (0, 0)  # type: ignore[attr-defined]  # their text is gone
    with pytest.raises(NotFoundError):
        service.get("default", status.request_id)


# ---- callback URL rules on AWS (public addresses only) --------------------------------------------------


def _resolver(addresses: list[str]) -> Any:
    return lambda host, port: addresses


@pytest.mark.parametrize(
    ("url", "addresses", "reason"),
    [
        ("http://hooks.example.com/x", ["93.184.216.34"], "only https URLs are called back"),
        ("https://hooks.example.com/x", ["10.0.0.7"], "private address"),
        ("https://hooks.example.com/x", ["192.168.1.1"], "private address"),
        ("https://hooks.example.com/x", ["172.16.0.1", "93.184.216.34"], "private address"),
        ("https://metadata.example/x", ["169.254.169.254"], "link-local address"),
        ("https://localhost/x", ["127.0.0.1"], "loopback address"),
        ("https://v6.example/x", ["::1"], "loopback address"),
        ("https://v6.example/x", ["::ffff:10.0.0.1"], "private address"),
        ("https://v6.example/x", ["fe80::1"], "link-local address"),
        ("https://cgnat.example/x", ["100.64.0.1"], "non-public address"),
        ("https://zero.example/x", ["0.0.0.0"], "address"),
    ],
)
def test_on_aws_only_https_to_public_addresses_is_called_back(url: str, addresses: list[str], reason: str) -> None:
    with pytest.raises(InvalidRequestError, match=reason):
        check_callback_url(url, public=True, resolver=_resolver(addresses))


def test_on_aws_a_public_https_url_is_accepted_and_rechecked_before_delivery(tmp_path: Any) -> None:
    answers = [["93.184.216.34"]]
    assert check_callback_url("https://hooks.example.com/x", public=True, resolver=lambda h, p: answers[0])
    sent: list[str] = []
    sender = CallbackSender(
        LocalCallbackSecrets(tmp_path),
        public=True,
        resolver=lambda h, p: answers[0],
        send=lambda url, body, headers, timeout: sent.append(url) or Attempt(200, None),  # type: ignore[func-returns-value]
    )
    assert sender.deliver("t", "https://hooks.example.com/x", b"{}", request_id="r").delivered
    answers[0] = ["10.0.0.1"]  # DNS now points inside the VPC: refused, nothing sent
    refused = sender.deliver("t", "https://hooks.example.com/x", b"{}", request_id="r")
    assert (
        not refused.delivered and "private address" in (refused.error or "") and sent == ["https://hooks.example.com/x"]
    )


def test_locally_https_goes_anywhere_and_http_only_to_loopback_without_a_dns_lookup() -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError(f"resolved {host}")

    for url in ("https://hooks.example.com/x", "http://localhost:8080/x", "http://127.0.0.2/x", "http://[::1]:9/x"):
        assert check_callback_url(url, public=False, resolver=no_dns) == url
    for url in ("http://hooks.example.com/x", "http://10.0.0.1/x", "http://[fe80::1]/x"):
        with pytest.raises(InvalidRequestError, match="loopback"):
            check_callback_url(url, public=False, resolver=no_dns)


def test_the_queue_is_local_by_default(runtime: Runtime) -> None:
    assert isinstance(runtime.async_requests.queue, LocalRequestQueue)


# ---- the Lambda handler, on its sample event ----------------------------------------------------------


def test_the_worker_handler_runs_its_sample_event_once(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    import mastra.runtime
    from mastra.async_requests import RequestStatus
    from mastra.invoke import invoke_function

    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setattr(mastra.runtime, "get_runtime", lambda: runtime)
    sample = json.loads((repo / "events" / "request_worker.json").read_text())
    context = QueuedRequest.model_validate_json(sample["Records"][0]["body"]).context
    now = time.time()
    runtime.async_requests.statuses.create(
        RequestStatus(
            request_id=context.request_id,
            tenant_id=context.tenant_id,
            user_id=context.user_id,
            thread_id=context.thread_id,
            created_at=now,
            updated_at=now,
        )
    )
    runs = count_runs(runtime)
    for _ in range(2):  # delivered twice: run once
        assert invoke_function(repo, "request_worker", sample) == {"batchItemFailures": []}
    done = runtime.async_requests.get(context.tenant_id, context.request_id)
    assert done.status == "succeeded" and done.result is not None and runs == [1]
    # A body that is not a queued request fails alone.
    bad = json.loads(json.dumps(sample))
    bad["Records"].append({**bad["Records"][0], "messageId": "poison", "body": "{}"})
    assert invoke_function(repo, "request_worker", bad) == {"batchItemFailures": [{"itemIdentifier": "poison"}]}


def test_the_cli_submits_works_the_queue_and_shows_the_status(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "MASTRA_HOME": str(tmp_path)}

    def mastra(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "mastra", "requests", *args],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    queued = json.loads(mastra("submit", "how do i transfer money to my savings account"))
    assert queued["status"] == "queued"
    assert json.loads(mastra("status", queued["request_id"]))["status"] == "queued"  # nothing ran it yet
    assert json.loads(mastra("work", "--once")) == {"waiting": 0, "dead": 0}
    done = json.loads(mastra("status", queued["request_id"]))
    assert done["status"] == "succeeded" and done["result"]["agent"] == "banking"
    secret = mastra("secret").strip()
    assert len(secret) >= 40 and (tmp_path / "callback-secrets" / "default.key").read_text() == secret
