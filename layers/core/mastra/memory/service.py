"""Memory for the pipeline and the API: what goes into an agent's context, and what a turn updates.

Four kinds, all per tenant and user, all in the one store:

- history: the thread's last N messages (N per agent spec);
- semantic recall: the K earlier messages most similar to the request, with neighbours;
- working memory: the user's profile (fields declared in the specs), merged with optimistic concurrency;
- summaries: a thread's older turns, summarised once they outgrow the history window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from mastra.errors import MastraError, NotFoundError
from mastra.memory import summary as summariser
from mastra.memory.models import MemoryUse, RecalledUse
from mastra.memory.recall import Recalled, recall
from mastra.memory.vectors import pack, unpack_many
from mastra.memory.working import WorkingMemorySchema, merge_extracted
from mastra.spec.models import AgentSpec, MemorySettings
from mastra.storage.base import Store
from mastra.storage.models import Erasure, Message, ThreadSummary, WorkingMemory

if TYPE_CHECKING:
    from mastra.encoder import Encoding, MessageEncoder

log = logging.getLogger(__name__)
PURGE_EVERY_S = 3600.0  # the embedded store deletes expired records at most this often per process


class MemoryContext(BaseModel):
    history: list[Message] = Field(default_factory=list)
    summary: ThreadSummary | None = None
    recalled: list[Recalled] = Field(default_factory=list)
    working_memory: dict[str, Any] = Field(default_factory=dict)
    use: MemoryUse = Field(default_factory=MemoryUse)

    def variables(self) -> dict[str, Any]:
        """The template variables a prompt sees: ``working_memory``, ``summary``, ``recalled``."""
        return {
            "working_memory": self.working_memory,
            "summary": self.summary.text if self.summary else "",
            "recalled": [
                {"role": r.message.role, "content": r.message.content, "score": r.score, "hit": r.hit}
                for r in self.recalled
            ],
        }


class MemoryService:
    def __init__(
        self,
        store: Store,
        schema: Callable[[], WorkingMemorySchema],
        encoder: Callable[[], MessageEncoder],
        *,
        redact: Callable[[str, str], str] | None = None,
    ) -> None:
        self.store = store
        self._schema = schema
        self._encoder = encoder
        #: ``(tenant, text) -> text``: the tenant's privacy policy, applied before a user's text is stored.
        self._redact = redact or (lambda _tenant, text: text)
        self._purged_at = 0.0

    @property
    def schema(self) -> WorkingMemorySchema:
        return self._schema()

    # ---- the request path ------------------------------------------------------------------------
    def context(
        self,
        *,
        tenant_id: str,
        user_id: str,
        thread_id: str,
        new_thread: bool,
        spec: AgentSpec,
        query: Encoding | None,
        message: str = "",
    ) -> MemoryContext:
        """Everything ``spec``'s agent gets to remember for this request. Working memory includes
        what ``message`` itself states (Remember stores it after the answer; the answer should
        already know it)."""
        settings = spec.memory
        ctx = MemoryContext()
        if not new_thread:  # a thread this request opened has nothing to read
            # Only the user's own: the thread is theirs (checked at admission), and this keeps it so
            # even if an expired thread record let its id be reused.
            history = self.store.recent_messages(tenant_id, thread_id, settings.history_messages)
            ctx.history = [m for m in history if m.user_id == user_id]
            summary = self.store.get_summary(tenant_id, thread_id)
            ctx.summary = summary if summary is not None and summary.user_id == user_id else None
        if settings.recall.top_k > 0 and not (new_thread and settings.recall.scope == "thread"):
            if query is None:
                ctx.use.skipped.append("recall: the message has no encoding (selection failed)")
            else:
                ctx.recalled = recall(
                    self.store,
                    tenant_id=tenant_id,
                    user_id=user_id,
                    thread_id=thread_id,
                    query=query.embedding,
                    encoder=query.encoder,
                    settings=settings.recall,
                    exclude={m.message_id for m in ctx.history},
                )
        if settings.working:
            wm = self.store.get_working_memory(tenant_id, user_id)
            fields = dict(wm.fields)
            stated = self.schema.extract(message) if message else {}
            if stated:
                fields.update(merge_extracted(self.schema, stated)(fields)[0])
            ctx.working_memory = {k: v for k, v in fields.items() if k in settings.working}
            ctx.use.working_memory_version = wm.version
        ctx.use.history = len(ctx.history)
        ctx.use.summary_messages = ctx.summary.messages if ctx.summary else 0
        ctx.use.recalled = [
            RecalledUse(message_id=r.message.message_id, thread_id=r.message.thread_id, score=r.score, hit=r.hit)
            for r in ctx.recalled
        ]
        return ctx

    def embed(self, text: str, encoding: Encoding | None = None) -> bytes | None:
        """A message's stored embedding: ``encoding`` if the router made one, else encoded here.
        None (recall will not find the message; logged) if the encoder cannot run."""
        try:
            enc = encoding if encoding is not None else self._encoder().encode(text)
        except Exception as exc:
            log.warning("could not embed a message (%s); it is stored without an embedding", exc)
            return None
        return pack(enc.embedding, enc.encoder)

    def after_turn(
        self,
        *,
        tenant_id: str,
        user_id: str,
        thread_id: str,
        request_id: str,
        message: str,
        settings: MemorySettings,
        new_thread: bool,
    ) -> int | None:
        """Update working memory from the user's message and summarise the thread if it is due.
        Returns the working-memory version if it changed. Safe to repeat (a retried step)."""
        version = None
        extracted = self.schema.extract(message)
        if extracted:
            wm = self.store.update_working_memory(
                tenant_id, user_id, merge_extracted(self.schema, extracted), source=f"pipeline:{request_id}"
            )
            version = wm.version
        if not new_thread:
            self.summarise(tenant_id, user_id, thread_id, settings)
        self._purge_now_and_then()
        return version

    def summarise(
        self, tenant_id: str, user_id: str, thread_id: str, settings: MemorySettings, *, force: bool = False
    ) -> ThreadSummary | None:
        """Summarise the thread's messages older than the history window, if enough new ones have
        aged out since the last summary (or ``force``). A concurrent summariser's write wins."""
        thread = self.store.get_thread(tenant_id, thread_id)
        if thread is None:
            return None
        current = self.store.get_summary(tenant_id, thread_id)
        seen = current.seen if current else 0  # counted like message_count, so expiry cannot retrigger it
        aged = thread.message_count - settings.history_messages
        if not force and aged - seen < settings.summary.after_messages:
            return None
        vectors = sorted(self.store.message_vectors(tenant_id, user_id, thread_id), key=lambda v: v.message_id)
        recent = {m.message_id for m in self.store.recent_messages(tenant_id, thread_id, settings.history_messages)}
        older = [v for v in vectors if v.message_id not in recent and (not recent or v.message_id < min(recent))]
        if not older:
            return None
        encoder = self._encoder()
        matrix, kept = unpack_many([v.vector for v in older], encoder.digest, encoder.dim)
        if not len(kept):
            return None
        chosen = [older[int(kept[i])].message_id for i in summariser.pick(matrix, settings.summary.sentences)]
        messages = self.store.get_messages(tenant_id, thread_id, chosen)
        new = ThreadSummary(
            tenant_id=tenant_id,
            thread_id=thread_id,
            user_id=user_id,
            version=self.store.summary_version(tenant_id, thread_id) + 1,
            text=summariser.render([(m.role, m.content) for m in messages], len(older)),
            through=older[-1].message_id,
            messages=len(older),
            seen=aged,
            updated_at=time.time(),
        )
        return new if self.store.put_summary(new) else self.store.get_summary(tenant_id, thread_id)

    def _purge_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._purged_at < PURGE_EVERY_S:
            return
        self._purged_at = now
        try:
            removed = self.store.purge_expired()
        except MastraError as exc:
            log.warning("purging expired memory failed (%s); reads skip expired records anyway", exc.message)
            return
        if removed:
            log.info("purged %d expired records", removed)

    # ---- the API -----------------------------------------------------------------------------
    def patch_working_memory(
        self, tenant_id: str, user_id: str, patch: dict[str, Any], *, expected_version: int | None = None
    ) -> WorkingMemory:
        """A JSON merge patch of the profile, validated against the declared fields."""
        to_set, removed = self.schema.validate_patch(patch)
        to_set = {k: self._redacted(tenant_id, v) for k, v in to_set.items()}
        return self.store.update_working_memory(
            tenant_id,
            user_id,
            lambda _current: (to_set, removed),
            source="api",
            expected_version=expected_version,
        )

    def _redacted(self, tenant_id: str, value: Any) -> Any:
        if isinstance(value, str):
            return self._redact(tenant_id, value)
        if isinstance(value, list):
            return [self._redacted(tenant_id, v) for v in value]
        if isinstance(value, dict):
            return {k: self._redacted(tenant_id, v) for k, v in value.items()}
        return value

    def edit_message(self, tenant_id: str, thread_id: str, message_id: str, content: str) -> Message:
        """Change a stored message: its new embedding is written with it, so recall follows the edit."""
        content = self._redact(tenant_id, content)
        return self.store.edit_message(tenant_id, thread_id, message_id, content, self.embed(content))

    def delete_thread(self, tenant_id: str, thread_id: str, *, user_id: str | None = None) -> Erasure:
        """Delete a thread; with ``user_id``, only if it is theirs (another user's is a 404, not a 409:
        it does not say the thread exists)."""
        if user_id is not None:
            thread = self.store.get_thread(tenant_id, thread_id)
            if thread is not None and thread.user_id != user_id:
                raise NotFoundError(f"no thread {thread_id!r} for user {user_id!r}", details={"thread_id": thread_id})
        return self.store.delete_thread(tenant_id, thread_id)

    def erase_user(self, tenant_id: str, user_id: str) -> Erasure:
        return self.store.erase_user(tenant_id, user_id)
