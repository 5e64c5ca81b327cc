"""Queued requests, end to end: admit and queue, run (once, however often delivered), call back.

A request is admitted at once (ids assigned, thread ownership and budget checked: a 409 or 429
comes back before anything is queued), its status record is written ``queued``, and the admitted
request (its ids fixed) goes on the queue. A worker runs it with ``Runtime.run(resume=True)``: a
message delivered again - SQS's at-least-once, a retry after a crash - finds the turn already
stored under its request id and returns that response instead of running the pipeline again.

Failures: an error a retry may fix (throttling, a timeout, the store unavailable, a bug) is
recorded and the message is run again, up to ``max_receives`` runs; then the record is ``failed``
and the message goes to the dead-letter queue (SQS's redrive policy; the embedded queue keeps it
as dead). An error no retry fixes (a 4xx: the thread taken meanwhile, bad input) fails the record
at once. A redriven message re-runs a record that failed on a retryable error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mastra import errors
from mastra.async_requests.callbacks import (
    CallbackSecrets,
    CallbackSender,
    LocalCallbackSecrets,
    SSMCallbackSecrets,
)
from mastra.async_requests.models import (
    AsyncChatRequest,
    CallbackDelivery,
    QueuedRequest,
    RequestError,
    RequestStatus,
)
from mastra.async_requests.queue import LocalRequestQueue, QueueError, RequestQueue, SQSRequestQueue
from mastra.async_requests.sqlite import SQLiteRequestQueue
from mastra.async_requests.store import RequestStatusStore

if TYPE_CHECKING:
    from mastra.runtime import Runtime

log = logging.getLogger(__name__)
WRITE_RACES = 10


class RunAgain(Exception):
    """The run failed on an error a retry may fix: leave the message on the queue."""

    def __init__(self, error: RequestError) -> None:
        super().__init__(f"{error.error}: {error.message}")
        self.error = error


class AsyncRequests:
    def __init__(
        self,
        runtime: Runtime,
        statuses: RequestStatusStore,
        queue: RequestQueue,
        sender: CallbackSender,
        *,
        max_receives: int = 3,
    ) -> None:
        self.runtime = runtime
        self.statuses = statuses
        self.queue = queue
        self.sender = sender
        self.max_receives = max_receives
        self.workers: LocalWorkers | None = None
        self._workers_lock = threading.Lock()

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> AsyncRequests:
        s = runtime.settings
        store = runtime.store
        statuses: RequestStatusStore
        if store.backend == "dynamodb":
            from mastra.async_requests.dynamodb import DynamoDBRequestStatusStore

            statuses = DynamoDBRequestStatusStore.sharing(store)  # type: ignore[arg-type]
        else:
            from mastra.async_requests.sqlite import SQLiteRequestStatusStore

            statuses = SQLiteRequestStatusStore(store.db)  # type: ignore[attr-defined]
        queue: RequestQueue
        if s.requests_queue == "sqs":
            queue = SQSRequestQueue(s.requests_queue_url or "")
        else:
            from mastra.storage.sqlite_db import SQLiteDatabase

            db = store.db if store.backend == "sqlite" else SQLiteDatabase(s.home / "requests-queue.db")  # type: ignore[attr-defined]
            queue = LocalRequestQueue(SQLiteRequestQueue(db, lease_s=s.requests_lease_s), expiry=store.expiry)
        secrets: CallbackSecrets = (
            SSMCallbackSecrets(s.callback_secret_prefix)
            if s.callback_secrets == "ssm"
            else LocalCallbackSecrets(s.home / "callback-secrets")
        )
        sender = CallbackSender(
            secrets,
            public=s.requests_queue == "sqs",  # on AWS: https to public addresses only
            attempts=s.callback_attempts,
            timeout_s=s.callback_timeout_s,
        )
        return cls(runtime, statuses, queue, sender, max_receives=s.requests_max_receives)

    # ---- the API side --------------------------------------------------------------------------
    def submit(self, body: AsyncChatRequest, tenant_id: str) -> RequestStatus:
        """Admit and queue a request; returns its ``queued`` record."""
        callback_url = self.sender.check(body.callback_url) if body.callback_url else None
        context = self.runtime.new_request(body.chat_request(), tenant_id=tenant_id)
        now = time.time()
        status = self.statuses.create(
            RequestStatus(
                request_id=context.request_id,
                tenant_id=tenant_id,
                user_id=context.user_id,
                thread_id=context.thread_id,
                created_at=now,
                updated_at=now,
                callback=CallbackDelivery(url=callback_url) if callback_url else None,
                expires_at=self.runtime.store.expiry(tenant_id, now),
            )
        )
        try:
            self.queue.send(QueuedRequest(context=context, callback_url=callback_url))
        except errors.MastraError as exc:  # never a record that says queued for a request no one will run
            self._change(status, status="failed", error=RequestError(error=exc.code, message=exc.message))
            raise
        self._wake()
        return status

    def get(self, tenant_id: str, request_id: str) -> RequestStatus:
        status = self.statuses.get(tenant_id, request_id)
        if status is None:
            raise errors.NotFoundError(f"no request {request_id!r}", details={"request_id": request_id})
        return status

    # ---- the worker side -----------------------------------------------------------------------
    def process(self, message: QueuedRequest, *, receives: int) -> RequestStatus:
        """Run one delivery of a queued request. Raises :class:`RunAgain` to have it delivered again
        (the last delivery raises too, after failing the record: the message goes to the DLQ)."""
        ctx = message.context
        status = self.statuses.get(ctx.tenant_id, ctx.request_id)
        if status is None:  # the record expired or was erased with its user: the request goes with it
            log.warning("request %s has no status record; dropping its message", ctx.request_id)
            return self._orphan(message)
        if status.status == "succeeded" or (
            status.status == "failed" and not (status.error and status.error.retryable)
        ):
            return self._call_back(status)  # delivered again after it finished: nothing runs twice
        status = self._change(status, status="running", runs=status.runs + 1)
        try:
            response = self.runtime.run(ctx, resume=True)
        except Exception as exc:
            error = _error_of(exc)
            if error.retryable and receives < self.max_receives:
                self._change(status, status="queued", error=error)
                raise RunAgain(error) from exc
            failed = self._call_back(self._change(status, status="failed", error=error))
            if error.retryable:  # its last receive: to the dead-letter queue, where it can be redriven
                raise RunAgain(error) from exc
            return failed
        done = self._change(status, status="succeeded", result=response, error=None)
        return self._call_back(done)

    def fail_unreadable(self, tenant_id: str | None, request_id: str | None, *, receives: int, reason: str) -> None:
        """A message whose body is not a queued request: fail its record (if it names one) on its last receive."""
        if not (tenant_id and request_id) or receives < self.max_receives:
            return
        status = self.statuses.get(tenant_id, request_id)
        if status is not None and not status.done:
            error = RequestError(error="invalid_message", message=reason[:500], retryable=False)
            self._call_back(self._change(status, status="failed", error=error))

    def _orphan(self, message: QueuedRequest) -> RequestStatus:
        now = time.time()
        ctx = message.context
        return RequestStatus(
            request_id=ctx.request_id,
            tenant_id=ctx.tenant_id,
            user_id=ctx.user_id,
            thread_id=ctx.thread_id,
            status="failed",
            created_at=now,
            updated_at=now,
            error=RequestError(error="not_found", message="the request's record is gone"),
        )

    def _change(self, record: RequestStatus, /, **changes: Any) -> RequestStatus:
        """Apply ``changes`` to the stored record; a lost race re-reads and applies them again."""
        current = record
        for _ in range(WRITE_RACES):
            written = self.statuses.update(current.model_copy(update={**changes, "updated_at": time.time()}))
            if written is not None:
                return written
            latest = self.statuses.get(record.tenant_id, record.request_id)
            if latest is None:
                raise errors.NotFoundError(f"request {record.request_id!r} was deleted meanwhile")
            current = latest
        raise errors.StorageError(f"request {record.request_id!r} stayed busy; try again")

    def _call_back(self, status: RequestStatus) -> RequestStatus:
        """Deliver the callback of a finished request, once (the outcome is recorded on the record)."""
        callback = status.callback
        if callback is None or callback.status != "pending" or not status.done:
            return status
        body = status.model_dump_json(exclude={"revision", "expires_at", "callback", "tenant_id"}).encode()
        delivery = self.sender.deliver(status.tenant_id, callback.url, body, request_id=status.request_id)
        outcome = callback.model_copy(
            update={
                "status": "delivered" if delivery.delivered else "failed",
                "attempts": callback.attempts + delivery.attempts,
                "last_status_code": delivery.status_code,
                "last_error": delivery.error,
                "delivered_at": time.time() if delivery.delivered else None,
            }
        )
        try:
            return self._change(status, callback=outcome)
        except errors.MastraError as exc:  # the result stands; only the delivery note is lost
            log.error("could not record the callback of %s: %s", status.request_id, exc.message)
            return status

    # ---- the embedded worker threads -----------------------------------------------------------
    def start_workers(self, threads: int | None = None) -> LocalWorkers | None:
        """Start draining the embedded queue (no-op on SQS, or if already started)."""
        if not isinstance(self.queue, LocalRequestQueue):
            return None
        with self._workers_lock:
            if self.workers is None:
                n = threads or self.runtime.settings.requests_workers
                self.workers = LocalWorkers(self, self.queue.queue, threads=n).start()
            return self.workers

    def stop_workers(self) -> None:
        with self._workers_lock:
            workers, self.workers = self.workers, None
        if workers is not None:
            workers.stop()

    def _wake(self) -> None:
        workers = self.start_workers()
        if workers is not None:
            workers.wake()


def _error_of(exc: BaseException) -> RequestError:
    if isinstance(exc, errors.MastraError):
        return RequestError(error=exc.code, message=exc.message, retryable=exc.retryable)
    # Not ours: a bug or an outage we do not classify; a retry may help, and the DLQ keeps it if not.
    return RequestError(error="internal_error", message=f"{type(exc).__name__}: {exc}"[:500], retryable=True)


class LocalWorkers:
    """Threads that drain the embedded queue: claim (leased), run, ack; retry with backoff; bury."""

    def __init__(
        self,
        service: AsyncRequests,
        queue: SQLiteRequestQueue,
        *,
        threads: int = 2,
        backoff_s: float = 1.0,
        idle_s: float = 1.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.service = service
        self.queue = queue
        self.n = threads
        self.backoff_s = backoff_s
        self.idle_s = idle_s
        self._stop = threading.Event()
        self._wakeup = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> LocalWorkers:
        for k in range(self.n):
            thread = threading.Thread(target=self._loop, name=f"mastra-requests-{k}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the runs in progress (a run cut short would be re-run after its lease anyway)."""
        self._stop.set()
        self._wakeup.set()
        for thread in self._threads:
            thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # the store itself is failing: back off; the leased message is kept
                log.exception("embedded request queue")
                worked = False
            if not worked:
                wait = self.queue.next_ready_in() if not self._stop.is_set() else 0
                self._wakeup.wait(self.idle_s if wait is None else min(self.idle_s, max(wait, 0.01)))
                self._wakeup.clear()

    def run_once(self) -> bool:
        """Run the next ready message, if any; False if there was none."""
        claimed = self.queue.claim()
        if claimed is None:
            return False
        try:
            message = QueuedRequest.model_validate_json(claimed.body)
        except ValueError as exc:
            self.queue.bury(claimed.request_id, f"unreadable message: {exc}")
            return True
        try:
            self.service.process(message, receives=claimed.receives)
        except RunAgain as exc:
            if claimed.receives >= self.service.max_receives:
                self.queue.bury(claimed.request_id, str(exc))
            else:
                self.queue.retry(claimed.request_id, self.backoff_s * 2 ** (claimed.receives - 1), str(exc))
            return True
        except errors.MastraError as exc:  # could not even record the outcome: run it again later
            self.queue.retry(claimed.request_id, self.backoff_s * 2 ** (claimed.receives - 1), exc.message)
            return True
        self.queue.ack(claimed.request_id)
        return True


__all__ = ["AsyncRequests", "LocalWorkers", "QueueError", "RunAgain"]
