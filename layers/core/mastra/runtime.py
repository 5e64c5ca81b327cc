"""Wires settings, agents, models, store and the pipeline together, lazily.

Each Lambda touches only what its step needs (the sentiment function never compiles the agent
set, the remember function never loads a model), so components are built on first use and then
kept for the life of the process (a warm Lambda container, a ``mastra serve`` worker).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from mastra import errors
from mastra.ids import new_id
from mastra.models import ChatRequest, ChatResponse, RequestContext
from mastra.settings import Settings, get_settings

if TYPE_CHECKING:
    from mastra.agents.agentset import AgentSet
    from mastra.agents.executor import AgentExecutor
    from mastra.providers import ModelProvider, ProviderFactory
    from mastra.reflection import HeuristicReflector
    from mastra.sentiment import SentimentModel
    from mastra.storage import Store
    from mastra.workflow import LocalStateMachine


T = TypeVar("T")


class component(Generic[T]):
    """A lazily built component, built once per runtime even when threads race for it.

    ``functools.cached_property`` does not lock (since Python 3.12), so two API threads could each
    build the agent set; this builds under the runtime's lock and checks again inside it.
    """

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__

    def __get__(self, obj: Any, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        if self.name not in obj.__dict__:
            with obj._lock:
                if self.name not in obj.__dict__:
                    obj.__dict__[self.name] = self.build(obj)
        return obj.__dict__[self.name]  # type: ignore[no-any-return]


class Runtime:
    """One deployment's components. ``chat`` runs a request through the whole pipeline."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: Store | None = None,
        providers: dict[str, ModelProvider] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        strict_json: bool = False,
    ) -> None:
        self.settings = settings or get_settings()
        self._store = store
        self._provider_instances = providers
        self._sleep = sleep
        self._strict_json = strict_json
        self._lock = threading.RLock()  # reentrant: building one component builds others

    @component
    def agents(self) -> AgentSet:
        from mastra.agents.agentset import AgentSet

        with self._lock:
            return AgentSet.load(
                self.settings.agents_dir, self.settings.cache_dir, prebuilt_dir=self.settings.prebuilt_dir
            )

    @component
    def store(self) -> Store:
        if self._store is not None:
            return self._store
        from mastra.storage.sqlite import SQLiteStore

        with self._lock:
            return SQLiteStore(self.settings.db_path)

    @component
    def sentiment(self) -> SentimentModel:
        from mastra.sentiment import DefaultSentiment

        with self._lock:
            return DefaultSentiment()

    @component
    def reflector(self) -> HeuristicReflector:
        from mastra.reflection import HeuristicReflector

        return HeuristicReflector(
            self.agents.space,
            threshold=self.settings.reflection_threshold,
            retry_min_confidence=self.settings.retry_min_confidence,
        )

    @component
    def providers(self) -> ProviderFactory:
        from mastra.providers import ProviderFactory

        return ProviderFactory(
            self.agents, override=self.settings.provider_override, instances=self._provider_instances
        )

    @component
    def executor(self) -> AgentExecutor:
        from mastra.agents.executor import AgentExecutor

        return AgentExecutor(self.providers)

    @component
    def pipeline(self) -> LocalStateMachine:
        from mastra import steps
        from mastra.pipeline import STEPS, definition, resource
        from mastra.workflow import LocalStateMachine

        resources = {resource(name): partial(getattr(steps, name), runtime=self) for name in STEPS}
        return LocalStateMachine(definition(), resources, sleep=self._sleep, strict_json=self._strict_json)

    def warm(self) -> Runtime:
        """Build every component now (at process start) rather than inside the first request."""
        for component in ("agents", "sentiment", "store", "reflector", "executor", "pipeline"):
            getattr(self, component)
        return self

    # ---- requests ------------------------------------------------------------------------------
    def new_request(self, request: ChatRequest, *, tenant_id: str | None = None) -> RequestContext:
        """Admit a request: ids assigned, thread ownership checked (409 before any work is done)."""
        tenant = tenant_id or self.settings.tenant_id
        thread_id = request.thread_id or new_id()
        if request.thread_id is not None:
            self.store.check_thread_owner(tenant, thread_id, request.user_id)
        return RequestContext(
            request_id=new_id(),
            tenant_id=tenant,
            user_id=request.user_id,
            thread_id=thread_id,
            message=request.message,
            received_at=time.time(),
        )

    def chat(self, request: ChatRequest, *, tenant_id: str | None = None) -> ChatResponse:
        """Run one request through the pipeline (locally, in-process) and return the response."""
        from mastra.workflow import ExecutionFailed

        started = time.perf_counter()
        context = self.new_request(request, tenant_id=tenant_id)
        try:
            output = self.pipeline.run({"request": context.model_dump()})
        except ExecutionFailed as exc:
            raise error_from_execution(exc.error, exc.cause) from None
        response = ChatResponse.model_validate(output)
        response.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 3)
        return response


def error_from_execution(error: str, cause: str) -> errors.MastraError:
    """Re-raise a failed execution as the Mastra error it names (so a 409 stays a 409)."""
    import json

    try:
        message = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        message = cause
    cls = getattr(errors, error, None)
    if isinstance(cls, type) and issubclass(cls, errors.MastraError):
        return cls(message)
    return errors.PipelineError(f"pipeline failed: {error}: {message}", details={"error": error})


@cache
def get_runtime() -> Runtime:
    """The process's runtime (Lambda handlers and the API share it within a container)."""
    return Runtime()
