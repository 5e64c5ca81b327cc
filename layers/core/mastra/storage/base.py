"""The storage interface. Public methods live here; backends fill in small hooks.

Key design (the same in every backend; tenant first, so isolation is a matter of credentials):

    thread    (tenant_id, thread_id)              -> owner user_id, timestamps, message count
    message   (tenant_id, thread_id, message_id)  -> role, content, agent, request   [message_id sorts by time]
    request   (tenant_id, request_id)             -> the full response of a handled request
    event     (tenant_id, request_id, event_id)   -> a pipeline event, stored at most once
    by user   (tenant_id, user_id, updated_at)    -> the user's threads, newest first
    vectors   (tenant_id, user_id, message_id)    -> each message's embedding, on the message itself
    profile   (tenant_id, user_id)                -> working memory, with every version kept as history
    summary   (tenant_id, thread_id)              -> older turns of a thread, summarised
    tenant    (tenant_id)                         -> per-tenant settings (retention)
    model     (kind, version)                     -> a registered model version (deployment-wide)
    champion  (kind)                              -> the version serving requests

Writes of one turn are atomic and idempotent on the request id: a retried step never duplicates
messages. A thread belongs to the user who opened it; another user writing to it is a conflict.

Retention: every record of a tenant is written with ``expires_at`` = now + the tenant's retention
(its ``TenantConfig``, else the store's default; none: kept). Reads never return an expired record,
whether or not the backend has deleted it yet (DynamoDB's TTL deletes within days, SQLite's
``purge_expired`` when called).
"""

from __future__ import annotations

import json
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from mastra.errors import ConflictError, InvalidRequestError, NotFoundError, StorageError
from mastra.storage.models import (
    Erasure,
    EventRecord,
    Message,
    ModelVersion,
    Page,
    RequestRecord,
    StoredVector,
    TenantConfig,
    Thread,
    ThreadSummary,
    Turn,
    WorkingMemory,
    WorkingMemoryChange,
)
from mastra.storage.payloads import LARGE_BYTES, PREVIEW_CHARS, PayloadStore

MAX_PAGE = 200
TENANT_CONFIG_TTL_S = 60.0  # how soon a retention change reaches a warm process
MERGE_RETRIES = 20  # optimistic working-memory merges lost to concurrent writers before giving up

#: A working-memory update: the current fields -> (fields to set, fields to remove).
Patch = Callable[[dict[str, object]], tuple[dict[str, object], list[str]]]


class Store(ABC):
    backend: ClassVar[str]
    #: Retention of tenants without their own (days; None: kept). Set by the constructor.
    default_retention_days: float | None = None
    #: The time reads compare ``expires_at`` with (tests move it forward).
    clock: Callable[[], float] = staticmethod(time.time)
    #: Where messages and responses too large for a record go (None: kept inline; DynamoDB refuses).
    payloads: PayloadStore | None = None

    # ---- retention ---------------------------------------------------------------------------
    def retention_days(self, tenant_id: str) -> float | None:
        """The tenant's retention (cached for a minute), else the default."""
        cache: dict[str, tuple[float, TenantConfig | None]] = self.__dict__.setdefault("_tenant_cache", {})
        now = time.monotonic()
        hit = cache.get(tenant_id)
        if hit is None or now - hit[0] > TENANT_CONFIG_TTL_S:
            hit = cache[tenant_id] = (now, self.get_tenant_config(tenant_id))
        config = hit[1]
        if config is not None and config.retention_days is not None:
            return config.retention_days
        return self.default_retention_days

    def expiry(self, tenant_id: str, now: float) -> float | None:
        """``expires_at`` for a record of ``tenant_id`` written at ``now``."""
        days = self.retention_days(tenant_id)
        return None if days is None else float(int(now + days * 86400))

    def set_tenant_config(self, config: TenantConfig) -> TenantConfig:
        stored = config.model_copy(update={"updated_at": self.clock()})
        self._put_tenant_config(stored)
        self.__dict__.get("_tenant_cache", {}).pop(config.tenant_id, None)
        return stored

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
        expires = self.expiry(req.tenant_id, turn.assistant_message.created_at)
        turn = turn.model_copy(
            update={
                "user_message": self._offload(turn.user_message.model_copy(update={"expires_at": expires})),
                "assistant_message": self._offload(turn.assistant_message.model_copy(update={"expires_at": expires})),
                "request": self._offload_response(req),
            }
        )
        return self._write_turn(turn, expires)

    # ---- payloads too large for a record -------------------------------------------------------
    @staticmethod
    def _payload_prefix(tenant_id: str, user_id: str, thread_id: str) -> str:
        return f"{tenant_id}/{user_id}/{thread_id}/"

    def _offload(self, m: Message) -> Message:
        data = m.content.encode()
        if len(data) <= LARGE_BYTES or self.payloads is None:
            return m
        key = self._payload_prefix(m.tenant_id, m.user_id, m.thread_id) + m.message_id
        self.payloads.put(key, data)  # before the record: a record never points at nothing
        return m.model_copy(update={"content": m.content[:PREVIEW_CHARS] + "…", "content_ref": key})

    def _offload_response(self, r: RequestRecord) -> RequestRecord:
        data = json.dumps(r.response, separators=(",", ":")).encode()
        if len(data) <= LARGE_BYTES or self.payloads is None:
            return r
        key = self._payload_prefix(r.tenant_id, r.user_id, r.thread_id) + f"{r.request_id}.response"
        self.payloads.put(key, data)
        return r.model_copy(
            update={"response": {"$ref": key, "answer": str(r.response.get("answer", ""))[:PREVIEW_CHARS]}}
        )

    def _hydrate(self, messages: list[Message]) -> list[Message]:
        if self.payloads is None:
            return messages
        payloads = self.payloads
        return [
            m.model_copy(update={"content": payloads.get(m.content_ref).decode(), "content_ref": None})
            if m.content_ref
            else m
            for m in messages
        ]

    def check_thread_owner(self, tenant_id: str, thread_id: str, user_id: str) -> Thread | None:
        """The thread if it exists; :class:`ConflictError` if another user owns it.

        A thread record can expire before its messages (a retention shortened since they were
        written): then the messages say whose thread it is.
        """
        thread = self.get_thread(tenant_id, thread_id)
        owner = thread.user_id if thread is not None else None
        if owner is None:
            first = self._messages_after(tenant_id, thread_id, None, 1)
            owner = first[0].user_id if first else None
        if owner is not None and owner != user_id:
            raise ConflictError(f"thread {thread_id!r} belongs to another user", details={"thread_id": thread_id})
        return thread

    def recent_messages(self, tenant_id: str, thread_id: str, limit: int) -> list[Message]:
        """The last ``limit`` messages of a thread, oldest first."""
        if limit <= 0:
            return []
        now = self.clock()  # the newest expire last: dropping expired ones from the newest N is exact
        return self._hydrate([m for m in reversed(self._latest_messages(tenant_id, thread_id, limit)) if _live(m, now)])

    def list_messages(
        self, tenant_id: str, thread_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Message]:
        """A thread's messages, oldest first, a page at a time."""
        limit = max(1, min(limit, MAX_PAGE))
        items = self._messages_after(tenant_id, thread_id, cursor, limit + 1)
        more = len(items) > limit
        items = items[:limit]
        now = self.clock()
        live = self._hydrate([m for m in items if _live(m, now)])
        return Page[Message](items=live, next_cursor=items[-1].message_id if more else None)

    def list_threads(self, tenant_id: str, user_id: str, *, limit: int = 50, cursor: str | None = None) -> Page[Thread]:
        """A user's threads, most recently updated first."""
        limit = max(1, min(limit, MAX_PAGE))
        items = self._threads_of(tenant_id, user_id, cursor, limit + 1)
        more = len(items) > limit
        items = items[:limit]
        now = self.clock()
        live = [t for t in items if t.expires_at is None or t.expires_at > now]
        return Page[Thread](items=live, next_cursor=self._thread_cursor(items[-1]) if more else None)

    # ---- memory: recall, working memory, summaries ---------------------------------------------
    def message_vectors(self, tenant_id: str, user_id: str, thread_id: str | None = None) -> list[StoredVector]:
        """Embeddings of a user's live messages: in one thread, or (None) in all their threads."""
        return self._vectors(tenant_id, user_id, thread_id, self.clock())

    def get_messages(self, tenant_id: str, thread_id: str, message_ids: list[str]) -> list[Message]:
        """The named live messages of a thread, oldest first (unknown ids are skipped)."""
        if not message_ids:
            return []
        now = self.clock()
        found = [m for m in self._messages_by_id(tenant_id, thread_id, sorted(set(message_ids))) if _live(m, now)]
        return self._hydrate(sorted(found, key=lambda m: m.message_id))

    def messages_around(self, tenant_id: str, thread_id: str, message_id: str, n: int) -> list[Message]:
        """``message_id`` with up to ``n`` live messages either side of it, oldest first."""
        now = self.clock()
        found = self._messages_before(tenant_id, thread_id, message_id, n) if n else []
        found += self._messages_by_id(tenant_id, thread_id, [message_id])
        found += self._messages_after(tenant_id, thread_id, message_id, n) if n else []
        return self._hydrate(sorted((m for m in found if _live(m, now)), key=lambda m: m.message_id))

    def get_working_memory(self, tenant_id: str, user_id: str) -> WorkingMemory:
        """The user's profile (version 0 and no fields if they have none)."""
        wm = self._working_memory(tenant_id, user_id)
        if wm is None:
            return WorkingMemory(tenant_id=tenant_id, user_id=user_id)
        if wm.expires_at is not None and wm.expires_at <= self.clock():
            # Its fields are gone; its version stays, so the next write replaces the expired record
            # (which the backend may not have deleted yet) instead of colliding with it.
            return WorkingMemory(tenant_id=tenant_id, user_id=user_id, version=wm.version)
        return wm

    def update_working_memory(
        self, tenant_id: str, user_id: str, patch: Patch, *, source: str, expected_version: int | None = None
    ) -> WorkingMemory:
        """Merge ``patch`` into the profile: read, merge, write only if no one wrote in between.

        A lost race re-reads and merges again, so concurrent updates of different fields both land
        and none is lost. With ``expected_version`` the caller asks for a strict check instead: a
        changed profile is a :class:`ConflictError`. An update that changes nothing writes nothing.
        """
        for attempt in range(MERGE_RETRIES):
            if attempt:  # lost a race (or throttled): back off a little, jittered, then merge again
                time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
            current = self.get_working_memory(tenant_id, user_id)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError(
                    f"working memory of {user_id!r} is at version {current.version}, not {expected_version}",
                    details={"version": current.version},
                )
            to_set, to_remove = patch(dict(current.fields))
            fields = dict(current.fields)
            changed = {k: v for k, v in to_set.items() if fields.get(k, _MISSING) != v}
            removed = sorted(k for k in to_remove if k in fields)
            if not changed and not removed:
                return current
            fields.update(changed)
            for k in removed:
                del fields[k]
            now = self.clock()
            new = current.model_copy(
                update={
                    "version": current.version + 1,
                    "fields": fields,
                    "updated_at": now,
                    "expires_at": self.expiry(tenant_id, now),
                }
            )
            change = WorkingMemoryChange(version=new.version, set=changed, removed=removed, source=source, at=now)
            if self._write_working_memory(new, change, current.version):
                return new
        raise StorageError(f"working memory of {user_id!r} stayed busy; try again", details={"user_id": user_id})

    def working_memory_history(self, tenant_id: str, user_id: str) -> list[WorkingMemoryChange]:
        """Every change of the user's profile, oldest first."""
        return sorted(self._working_memory_changes(tenant_id, user_id), key=lambda c: c.version)

    def get_summary(self, tenant_id: str, thread_id: str) -> ThreadSummary | None:
        summary = self._summary(tenant_id, thread_id)
        if summary is None or (summary.expires_at is not None and summary.expires_at <= self.clock()):
            return None
        return summary

    def summary_version(self, tenant_id: str, thread_id: str) -> int:
        """The stored summary's version, expired or not (0: none): the next one is this + 1."""
        summary = self._summary(tenant_id, thread_id)
        return summary.version if summary is not None else 0

    def put_summary(self, summary: ThreadSummary) -> bool:
        """Write ``summary`` if the stored one is still at ``summary.version - 1``; False if not."""
        stamped = summary.model_copy(update={"expires_at": self.expiry(summary.tenant_id, summary.updated_at)})
        return self._write_summary(stamped)

    def edit_message(
        self, tenant_id: str, thread_id: str, message_id: str, content: str, embedding: bytes | None
    ) -> Message:
        """Replace a message's content and its embedding in one write: recall never sees the old text
        once the new one is stored, and never a new text with the old vector."""
        found = [m for m in self._messages_by_id(tenant_id, thread_id, [message_id]) if _live(m, self.clock())]
        if not found:
            raise NotFoundError(
                f"no message {message_id!r} in thread {thread_id!r}", details={"message_id": message_id}
            )
        edited = self._offload(
            found[0].model_copy(update={"content": content, "content_ref": None, "embedding": embedding})
        )
        if not self._replace_message(edited):
            raise NotFoundError(f"message {message_id!r} was deleted meanwhile", details={"message_id": message_id})
        return self._hydrate([edited])[0]

    # ---- deletion ----------------------------------------------------------------------------
    def delete_thread(self, tenant_id: str, thread_id: str) -> Erasure:
        """Delete a thread with its messages (and so their embeddings), summary, requests and events."""
        thread = self.get_thread(tenant_id, thread_id)
        first = self._messages_after(tenant_id, thread_id, None, 1)
        if thread is None and not first:
            raise NotFoundError(f"no thread {thread_id!r}", details={"thread_id": thread_id})
        erased = self._delete_thread(tenant_id, thread_id)
        if self.payloads is not None:  # after the records: a crash leaves orphaned files, never dangling refs
            owner = thread.user_id if thread is not None else first[0].user_id
            erased.other += self.payloads.delete_prefix(self._payload_prefix(tenant_id, owner, thread_id))
        return erased

    def erase_user(self, tenant_id: str, user_id: str) -> Erasure:
        """Delete everything stored about a user: threads, messages, embeddings, summaries, requests,
        events, working memory and its history. Idempotent: running it again finishes a broken run.

        First a marker is written (keyed by a hash of the user id, so it holds nothing of theirs):
        a turn of the user received before the erasure but stored after it is refused
        (:class:`ConflictError`), so a request in flight cannot bring their data back.
        """
        self._mark_erased(tenant_id, erased_user_key(user_id), self.clock())
        erased = self._erase_user(tenant_id, user_id)
        if self.payloads is not None:
            erased.other += self.payloads.delete_prefix(f"{tenant_id}/{user_id}/")
        return erased

    def purge_expired(self) -> int:
        """Delete expired records now (DynamoDB's TTL does it by itself; reads skip them either way)."""
        return 0

    def record_events(self, events: list[EventRecord]) -> None:
        """Store pipeline events; an event id seen before is not stored twice."""
        if events:
            self._write_events(events)

    def list_events(self, tenant_id: str, request_id: str) -> list[EventRecord]:
        """A request's events in the order they occurred."""
        return sorted(self._events_of(tenant_id, request_id), key=lambda e: (e.occurred_at, e.event_id))

    # ---- tenant settings ---------------------------------------------------------------------
    @abstractmethod
    def get_tenant_config(self, tenant_id: str) -> TenantConfig | None: ...

    @abstractmethod
    def _put_tenant_config(self, config: TenantConfig) -> None: ...

    @staticmethod
    def _thread_cursor(thread: Thread) -> str:
        return f"{thread.updated_at!r}|{thread.thread_id}"  # exact: a rounded time repeats or skips a thread

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
    def _write_turn(self, turn: Turn, expires_at: float | None) -> bool: ...

    @abstractmethod
    def _vectors(self, tenant_id: str, user_id: str, thread_id: str | None, now: float) -> list[StoredVector]: ...

    @abstractmethod
    def _messages_by_id(self, tenant_id: str, thread_id: str, message_ids: list[str]) -> list[Message]: ...

    @abstractmethod
    def _replace_message(self, m: Message) -> bool:
        """Content, pointer and embedding of an existing message, in one write; False if it is gone."""

    @abstractmethod
    def _messages_before(self, tenant_id: str, thread_id: str, message_id: str, limit: int) -> list[Message]:
        """Up to ``limit`` messages strictly before ``message_id``, newest first."""

    @abstractmethod
    def _working_memory(self, tenant_id: str, user_id: str) -> WorkingMemory | None: ...

    @abstractmethod
    def _write_working_memory(self, new: WorkingMemory, change: WorkingMemoryChange, expected: int) -> bool:
        """Atomically: the profile (only if still at ``expected``) and its change record. False: lost race."""

    @abstractmethod
    def _working_memory_changes(self, tenant_id: str, user_id: str) -> list[WorkingMemoryChange]: ...

    @abstractmethod
    def _summary(self, tenant_id: str, thread_id: str) -> ThreadSummary | None: ...

    @abstractmethod
    def _write_summary(self, summary: ThreadSummary) -> bool: ...

    @abstractmethod
    def _delete_thread(self, tenant_id: str, thread_id: str) -> Erasure: ...

    @abstractmethod
    def _erase_user(self, tenant_id: str, user_id: str) -> Erasure: ...

    @abstractmethod
    def _mark_erased(self, tenant_id: str, user_key: str, at: float) -> None:
        """Record that the user was erased at ``at``; turns received before then are refused."""

    @abstractmethod
    def get_thread(self, tenant_id: str, thread_id: str) -> Thread | None: ...

    def get_request(self, tenant_id: str, request_id: str) -> RequestRecord | None:
        """A handled request's record (its response read back from the payload store if offloaded)."""
        record = self._request(tenant_id, request_id)
        ref = record.response.get("$ref") if record is not None else None
        if record is None or not isinstance(ref, str) or self.payloads is None:
            return record
        return record.model_copy(update={"response": json.loads(self.payloads.get(ref))})

    @abstractmethod
    def _request(self, tenant_id: str, request_id: str) -> RequestRecord | None: ...

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


_MISSING = object()


def _live(m: Message, now: float) -> bool:
    return m.expires_at is None or m.expires_at > now


def erased_user_key(user_id: str) -> str:
    """The erasure marker's key for a user: a hash, so the marker keeps nothing that names them."""
    import hashlib

    return hashlib.sha256(user_id.encode()).hexdigest()[:32]


def erased_conflict(user_id: str) -> ConflictError:
    return ConflictError(
        f"user {user_id!r} was erased while this request ran; its turn is not stored", details={"user_id": user_id}
    )
