"""The storage interface. Public methods live here; backends fill in small hooks.

Key design (the same in every backend; tenant first, so isolation is a matter of credentials):

    thread    (tenant_id, thread_id)              -> owner user_id, timestamps, message count
    message   (tenant_id, thread_id, message_id)  -> role, content, agent, request   [message_id sorts by time]
    request   (tenant_id, request_id)             -> the full response of a handled request
    event     (tenant_id, request_id, event_id)   -> a pipeline event, stored at most once
    by user   (tenant_id, user_id, updated_at)    -> the user's threads, newest first
    model     (kind, version)                     -> a registered model version (deployment-wide)
    champion  (kind)                              -> the version serving requests

Writes of one turn are atomic and idempotent on the request id: a retried step never duplicates
messages. A thread belongs to the user who opened it; another user writing to it is a conflict.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from mastra.errors import ConflictError, InvalidRequestError, NotFoundError
from mastra.storage.models import EventRecord, Message, ModelVersion, Page, RequestRecord, Thread, Turn

MAX_PAGE = 200


class Store(ABC):
    backend: ClassVar[str]

    # ---- public flow -------------------------------------------------------------------------
    def record_turn(self, turn: Turn) -> bool:
        """Store a request's record and its two messages at once.

        Returns False (and writes nothing) if the request was already recorded. Raises
        :class:`ConflictError` if the thread belongs to another user.
        """
        req = turn.request
        for m in (turn.user_message, turn.assistant_message):
            if (m.tenant_id, m.thread_id, m.request_id) != (req.tenant_id, req.thread_id, req.request_id):
                raise InvalidRequestError("a turn's messages must belong to its request, thread and tenant")
        return self._write_turn(turn)

    def check_thread_owner(self, tenant_id: str, thread_id: str, user_id: str) -> Thread | None:
        """The thread if it exists; :class:`ConflictError` if another user owns it."""
        thread = self.get_thread(tenant_id, thread_id)
        if thread is not None and thread.user_id != user_id:
            raise ConflictError(f"thread {thread_id!r} belongs to another user", details={"thread_id": thread_id})
        return thread

    def recent_messages(self, tenant_id: str, thread_id: str, limit: int) -> list[Message]:
        """The last ``limit`` messages of a thread, oldest first."""
        if limit <= 0:
            return []
        return list(reversed(self._latest_messages(tenant_id, thread_id, limit)))

    def list_messages(
        self, tenant_id: str, thread_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Message]:
        """A thread's messages, oldest first, a page at a time."""
        limit = max(1, min(limit, MAX_PAGE))
        items = self._messages_after(tenant_id, thread_id, cursor, limit + 1)
        more = len(items) > limit
        items = items[:limit]
        return Page[Message](items=items, next_cursor=items[-1].message_id if more else None)

    def list_threads(self, tenant_id: str, user_id: str, *, limit: int = 50, cursor: str | None = None) -> Page[Thread]:
        """A user's threads, most recently updated first."""
        limit = max(1, min(limit, MAX_PAGE))
        items = self._threads_of(tenant_id, user_id, cursor, limit + 1)
        more = len(items) > limit
        items = items[:limit]
        return Page[Thread](items=items, next_cursor=self._thread_cursor(items[-1]) if more else None)

    def record_events(self, events: list[EventRecord]) -> None:
        """Store pipeline events; an event id seen before is not stored twice."""
        if events:
            self._write_events(events)

    def list_events(self, tenant_id: str, request_id: str) -> list[EventRecord]:
        """A request's events in the order they occurred."""
        return sorted(self._events_of(tenant_id, request_id), key=lambda e: (e.occurred_at, e.event_id))

    @staticmethod
    def _thread_cursor(thread: Thread) -> str:
        return f"{thread.updated_at:.6f}|{thread.thread_id}"

    @staticmethod
    def _parse_thread_cursor(cursor: str) -> tuple[float, str]:
        """``(updated_at, thread_id)`` of a cursor from :meth:`list_threads`; a 4xx if it is not one."""
        updated, sep, thread = cursor.partition("|")
        try:
            if not sep or not thread:
                raise ValueError(cursor)
            return float(updated), thread
        except ValueError:
            raise InvalidRequestError(f"not a thread list cursor: {cursor[:80]!r}") from None

    # ---- the model registry ------------------------------------------------------------------
    def add_model_version(self, version: ModelVersion, *, number: int | None = None) -> ModelVersion:
        """Register a version; the store assigns the next number unless ``number`` is given (0: built-in).

        A given number that is taken is a :class:`ConflictError`; concurrent registrations get
        distinct numbers.
        """
        return self._insert_model_version(version.model_copy(update={"status": "candidate"}), number)

    def list_model_versions(self, kind: str) -> list[ModelVersion]:
        """Every version of ``kind``, oldest first."""
        return sorted(self._model_versions(kind), key=lambda v: v.version)

    def champion(self, kind: str) -> ModelVersion | None:
        """The version of ``kind`` serving requests, if any."""
        number = self._champion_number(kind)
        return None if number is None else self.get_model_version(kind, number)

    def set_champion(self, kind: str, version: int, *, expected: int | str | None = "any") -> ModelVersion:
        """Make ``version`` the champion at once; the previous champion is retired.

        ``expected`` guards a read-then-promote against a concurrent promotion: the swap happens
        only if the champion is still that version (None: there was none), else ConflictError.
        """
        target = self.get_model_version(kind, version)
        if target is None:
            raise NotFoundError(f"no {kind} model version {version}", details={"kind": kind, "version": version})
        current = self._champion_number(kind)
        if expected != "any" and current != expected:
            raise ConflictError(
                f"the {kind} champion changed (now {current}, expected {expected})",
                details={"kind": kind, "champion": current},
            )
        if current != version:
            self._swap_champion(kind, version, current)
        promoted = self.get_model_version(kind, version)
        assert promoted is not None
        return promoted

    # ---- backend hooks -----------------------------------------------------------------------
    @abstractmethod
    def _insert_model_version(self, version: ModelVersion, number: int | None) -> ModelVersion: ...

    @abstractmethod
    def get_model_version(self, kind: str, version: int) -> ModelVersion | None: ...

    @abstractmethod
    def _model_versions(self, kind: str) -> list[ModelVersion]: ...

    @abstractmethod
    def _champion_number(self, kind: str) -> int | None: ...

    @abstractmethod
    def _swap_champion(self, kind: str, new: int, old: int | None) -> None:
        """Atomically: the pointer to ``new`` (only if it still points to ``old``), ``new`` champion,
        ``old`` retired. A lost race is a :class:`ConflictError`."""

    @abstractmethod
    def _write_turn(self, turn: Turn) -> bool: ...

    @abstractmethod
    def get_thread(self, tenant_id: str, thread_id: str) -> Thread | None: ...

    @abstractmethod
    def get_request(self, tenant_id: str, request_id: str) -> RequestRecord | None: ...

    @abstractmethod
    def _latest_messages(self, tenant_id: str, thread_id: str, limit: int) -> list[Message]:
        """Newest first."""

    @abstractmethod
    def _messages_after(self, tenant_id: str, thread_id: str, cursor: str | None, limit: int) -> list[Message]:
        """Oldest first, strictly after ``cursor`` (a message id)."""

    @abstractmethod
    def _threads_of(self, tenant_id: str, user_id: str, cursor: str | None, limit: int) -> list[Thread]:
        """Newest first, strictly before ``cursor`` (see :meth:`_thread_cursor`)."""

    @abstractmethod
    def _write_events(self, events: list[EventRecord]) -> None: ...

    @abstractmethod
    def _events_of(self, tenant_id: str, request_id: str) -> list[EventRecord]: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
