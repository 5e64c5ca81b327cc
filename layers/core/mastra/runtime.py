"""Wires settings, agents, models, store and the pipeline together, lazily.

Each Lambda touches only what its step needs (the sentiment function never compiles the agent
set, the remember function never loads a model), so components are built on first use and then
kept for the life of the process (a warm Lambda container, a ``mastra serve`` worker).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from mastra import errors
from mastra.ids import new_id
from mastra.models import ChatRequest, ChatResponse, RequestContext
from mastra.settings import Settings, get_settings

if TYPE_CHECKING:
    from mastra.agents.agentset import AgentSet
    from mastra.agents.executor import AgentExecutor
    from mastra.async_requests import AsyncRequests
    from mastra.cache import CacheStore
    from mastra.encoder import MessageEncoder
    from mastra.events import EventPublisher
    from mastra.feedback import FeedbackService
    from mastra.idempotency import Idempotency
    from mastra.memory import MemoryService
    from mastra.optimisation import AgentStatsSource
    from mastra.privacy import PrivacyService
    from mastra.prompts import PromptService
    from mastra.providers import ModelProvider, ProviderFactory
    from mastra.reflection import HeuristicReflector
    from mastra.registry import ModelRegistry
    from mastra.security.keys import KeyService
    from mastra.security.ratelimit import RateLimiter
    from mastra.selection.bandit import SelectionPolicy
    from mastra.selection.service import RoutingService
    from mastra.sentiment.service import SentimentService
    from mastra.stats import StatsService
    from mastra.storage import Store


T = TypeVar("T")
log = logging.getLogger(__name__)


class component(Generic[T]):
    """A lazily built component, built once per runtime even when threads race for it.

    Each component has its own lock: building one (say, sentiment, which imports its lexicon)
    never blocks threads that need another. A component that needs others takes their locks
    after its own, always from dependent to dependency, so the locks cannot form a cycle.
    """

    _guard = threading.Lock()

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__

    def _lock_of(self, obj: Any) -> threading.Lock:
        with self._guard:
            locks: dict[str, threading.Lock] = obj.__dict__.setdefault("_component_locks", {})
            return locks.setdefault(self.name, threading.Lock())

    def __get__(self, obj: Any, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        if self.name not in obj.__dict__:
            with self._lock_of(obj):
                if self.name not in obj.__dict__:
                    obj.__dict__[self.name] = self.build(obj)
        return obj.__dict__[self.name]  # type: ignore[no-any-return]


class PipelineRunner(Protocol):
    def run(self, data: dict[str, Any]) -> Any:
        """Run the request pipeline on its input state; raise ``ExecutionFailed`` if it fails."""
        ...


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
        from mastra.privacy import logs

        logs.install()  # the safety net: nothing personal reaches a log record

    @component
    def agents(self) -> AgentSet:
        from mastra.agents.agentset import AgentSet

        return AgentSet.load(
            self.settings.agents_dir,
            self.settings.cache_dir,
            prebuilt_dir=self.settings.prebuilt_dir,
            encoder=lambda: self.encoder,
        )

    @component
    def encoder(self) -> MessageEncoder:
        """The shared message encoder: one pass per message serves routing and sentiment."""
        from mastra.encoder import MessageEncoder

        return MessageEncoder()

    def _champion(self, kind: str, load: Callable[[Any], Any]) -> Any:
        """The registry's champion of ``kind``, re-checked every ``model_ttl_s``. On the embedded
        default, the built-in version 0 is registered on first run; on AWS, ``mastra models``
        registers it (request-path functions only read the registry)."""
        from mastra.registry import ChampionCache
        from mastra.training import service
        from mastra.training.kinds import kind as model_kind

        if self.settings.store == "sqlite":
            service.ensure_builtin(self, model_kind(kind))

        def named(directory: Any, version: Any) -> Any:
            model = load(directory)
            model.name = f"{model.name}@v{version.version}"
            return model

        return ChampionCache(self.registry, kind, named, ttl_s=self.settings.model_ttl_s)

    @component
    def router(self) -> RoutingService:
        from mastra.selection.prototype import PrototypeRouter
        from mastra.selection.service import RoutingService

        return RoutingService(self.agents, lambda: self.encoder, self._champion("router", PrototypeRouter.load))

    @component
    def selection_policy(self) -> SelectionPolicy:
        """Which agent serves a routed request: the bandit over the router's scores, reading the
        rewards the feedback service keeps (``MASTRA_BANDIT=false``: the router alone)."""
        from mastra.selection.bandit import BanditConfig, BanditPolicy, RouterOnly

        if not self.settings.bandit:
            return RouterOnly()
        source = self.feedback
        config = BanditConfig(
            epsilon=self.settings.bandit_epsilon,
            prior_strength=self.settings.bandit_prior_strength,
            ttl_s=self.settings.bandit_ttl_s,
        )
        return BanditPolicy(source, config, fallback_id=self.agents.registry.fallback_id)

    @component
    def store(self) -> Store:
        from mastra.storage.payloads import LocalPayloads, S3Payloads

        if self._store is not None:
            return self._store
        store: Store
        if self.settings.store == "dynamodb":
            from mastra.storage.dynamodb import DynamoDBStore

            store = DynamoDBStore(self.settings.table_name, retention_days=self.settings.retention_days)
        else:
            from mastra.storage.sqlite import SQLiteStore

            store = SQLiteStore(self.settings.db_path, retention_days=self.settings.retention_days)
        # Messages and responses too large for a record: the artifacts bucket on AWS, else the data dir.
        bucket = self.settings.artifacts_bucket
        store.payloads = S3Payloads(bucket) if bucket else LocalPayloads(self.settings.home / "payloads")
        return store

    @component
    def memory(self) -> MemoryService:
        """History, recall, working memory and summaries over the store."""
        from mastra.memory import MemoryService, WorkingMemorySchema

        schema: list[WorkingMemorySchema] = []

        def working_schema() -> WorkingMemorySchema:  # the agents are loaded only when a step needs it
            if not schema:
                schema.append(WorkingMemorySchema.of(self.agents.registry))
            return schema[0]

        return MemoryService(
            self.store, working_schema, lambda: self.encoder, redact=lambda t, text: self.privacy.inbound(t, text)
        )

    @component
    def prompts(self) -> PromptService:
        """The prompt registry over the store. On the embedded default, the prompt files next to
        the agents are registered on first use; on AWS, ``mastra prompts seed`` does it (request
        path functions only read the registry)."""
        from mastra.prompts import PromptService
        from mastra.prompts.seed import seed_directory

        store = self.store
        if store.backend == "dynamodb":
            from mastra.prompts.dynamodb import DynamoDBPromptStore

            prompts: Any = DynamoDBPromptStore.sharing(store)  # type: ignore[arg-type]
        else:
            from mastra.prompts.sqlite import SQLitePromptStore

            prompts = SQLitePromptStore(store.db)  # type: ignore[attr-defined]
        seed_dir = self.settings.prompts_path
        seed = (
            (lambda service: seed_directory(service, seed_dir))
            if self.settings.store == "sqlite" and seed_dir.is_dir()
            else None
        )
        return PromptService(prompts, ttl_s=self.settings.prompt_ttl_s, seed=seed)

    @component
    def keys(self) -> KeyService:
        """API keys (hashed, per tenant) in the turn store's database or table."""
        from mastra.security.keys import KeyService

        store = self.store
        if store.backend == "dynamodb":
            from mastra.security.keys_dynamodb import DynamoDBKeyStore

            keys: Any = DynamoDBKeyStore.sharing(store)  # type: ignore[arg-type]
        else:
            from mastra.security.keys_sqlite import SQLiteKeyStore

            keys = SQLiteKeyStore(store.db)  # type: ignore[attr-defined]
        return KeyService(keys, cache_ttl_s=self.settings.key_cache_ttl_s)

    def audit(self, principal: Any, action: str, target: str, outcome: str = "ok", **details: Any) -> None:
        """Publish an ``audit.recorded`` event for an admin action (a failure to publish is logged:
        the action itself already happened and must not be reported as failed)."""
        from mastra.events.models import AuditRecorded, audit_day

        event = AuditRecorded(
            tenant_id=principal.tenant_id,
            request_id=audit_day(time.time()),
            actor=principal.actor,
            via=principal.via,
            action=action,
            target=target,
            outcome=outcome,
            details={k: str(v) for k, v in details.items()},
        )
        try:
            self.publisher.publish([event])
        except errors.MastraError as exc:
            log.error("could not publish audit event %s %s: %s", action, target, exc.message)

    @component
    def publisher(self) -> EventPublisher:
        """Where pipeline events go (``MASTRA_EVENTS``)."""
        kind = self.settings.events
        if kind == "sqs":
            from mastra.events.sqs import SQSPublisher

            return SQSPublisher(self.settings.events_queue_url or "")
        if kind == "local":
            from mastra.events.local import StorePublisher

            return StorePublisher(self.store)
        from mastra.events import NullPublisher

        return NullPublisher()

    @component
    def stats(self) -> StatsService:
        """Per-agent, prompt-version and topic statistics aggregated from events, on the store's backend."""
        from mastra.stats import StatsService, stats_store_for

        return StatsService(stats_store_for(self.store))

    @component
    def feedback(self) -> FeedbackService:
        """Feedback, outcomes and rewards over the store; the bandit's arm statistics."""
        from mastra.feedback import FeedbackService

        store = self.store
        if store.backend == "dynamodb":
            from mastra.feedback.dynamodb import DynamoDBFeedbackStore

            feedback: Any = DynamoDBFeedbackStore.sharing(store)  # type: ignore[arg-type]
        else:
            from mastra.feedback.sqlite import SQLiteFeedbackStore

            feedback = SQLiteFeedbackStore(store.db)  # type: ignore[attr-defined]
        s = self.settings
        return FeedbackService(
            feedback,
            store,
            sentiment=lambda: self.sentiment,
            publisher=lambda: self.publisher,
            encoder=lambda: self.encoder,
            half_life_h=s.feedback_half_life_h,
            window_h=s.feedback_window_h,
            rephrase_threshold=s.rephrase_threshold,
            redact=lambda t, text: self.privacy.inbound(t, text),
        )

    @component
    def rate_limiter(self) -> RateLimiter:
        """Token buckets per API key, on the store's backend (so they hold across instances)."""
        from mastra.security.ratelimit import RateLimiter

        store = self.store
        if store.backend == "dynamodb":
            from mastra.security.ratelimit_dynamodb import DynamoDBRateLimitStore

            buckets: Any = DynamoDBRateLimitStore.sharing(store)  # type: ignore[arg-type]
        else:
            from mastra.security.ratelimit_sqlite import SQLiteRateLimitStore

            buckets = SQLiteRateLimitStore(store.db)  # type: ignore[attr-defined]
        return RateLimiter(buckets, self.settings)

    @component
    def idempotency(self) -> Idempotency:
        """Idempotency-Key records: Powertools' DynamoDB layer on AWS, the SQLite layer locally."""
        from mastra.idempotency import Idempotency, persistence_layer

        s = self.settings
        return Idempotency(persistence_layer(s, self.store), ttl_s=s.idempotency_ttl_s, lease_s=s.idempotency_lease_s)

    @component
    def async_requests(self) -> AsyncRequests:
        """Queued requests (POST /v1/requests): their status records, queue and callbacks."""
        from mastra.async_requests import AsyncRequests

        return AsyncRequests.for_runtime(self)

    @component
    def privacy(self) -> PrivacyService:
        """Each tenant's privacy policy (redact / mask / allow per entity type), in the turn store."""
        from mastra.privacy import PrivacyService, open_policies

        return PrivacyService(open_policies(self.store), ttl_s=self.settings.prompt_ttl_s)

    @component
    def registry(self) -> ModelRegistry:
        """Model versions in the store; artifacts in the artifacts bucket (AWS) or the data dir."""
        from mastra.registry import LocalArtifacts, ModelRegistry, S3Artifacts

        artifacts = (
            S3Artifacts(self.settings.artifacts_bucket)
            if self.settings.artifacts_bucket
            else LocalArtifacts(self.settings.home / "artifacts")
        )
        return ModelRegistry(self.store, artifacts, self.settings.cache_dir / "models")

    @component
    def sentiment(self) -> SentimentService:
        from mastra.sentiment.head import SentimentHead
        from mastra.sentiment.service import SentimentService

        return SentimentService(lambda: self.encoder, self._champion("sentiment", SentimentHead.load))

    @component
    def reflector(self) -> HeuristicReflector:
        from mastra.reflection import HeuristicReflector

        return HeuristicReflector(
            self.agents.space,
            threshold=self.settings.reflection_threshold,
            retry_min_confidence=self.settings.retry_min_confidence,
            block_threshold=self.settings.injection_block_threshold,
        )

    @component
    def agent_stats(self) -> AgentStatsSource:
        """Observed per-agent statistics (the stats service) for fast paths and adaptive timeouts."""
        from mastra.optimisation import GuardedAgentStats

        return GuardedAgentStats(self.stats)

    @component
    def answer_cache(self) -> CacheStore:
        """Cached answers and per-thread usage counters, in the turn store's database or table."""
        from mastra.cache import open_cache

        return open_cache(self.store)

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
    def pipeline(self) -> PipelineRunner:
        """The request pipeline: in-process, or the Step Functions state machine (``MASTRA_PIPELINE``)."""
        if self.settings.pipeline == "stepfunctions":
            from mastra.workflow.stepfunctions import StepFunctionsRunner

            return StepFunctionsRunner(self.settings.pipeline_arn or "", sync=self.settings.pipeline_sync)
        from mastra import steps
        from mastra.pipeline import STEPS, definition, resource
        from mastra.workflow import LocalStateMachine

        resources = {resource(name): partial(getattr(steps, name), runtime=self) for name in STEPS}
        return LocalStateMachine(definition(), resources, sleep=self._sleep, strict_json=self._strict_json)

    def warm(self) -> Runtime:
        """Build the components requests need now (at process start), not inside the first request.

        With the Step Functions pipeline, the steps run in their own functions: only the store,
        the publisher and the runner are needed here.
        """
        names = ["store", "publisher", "pipeline", "privacy"]
        if self.settings.pipeline == "local":
            names += ["encoder", "agents", "router", "sentiment", "reflector", "executor"]
        for name in names:
            getattr(self, name)
        return self

    def _stored_response(self, context: RequestContext) -> ChatResponse | None:
        """The response of a request whose turn is already stored (None if it is not, or unknown)."""
        try:
            record = self.store.get_request(context.tenant_id, context.request_id)
        except errors.MastraError:
            return None
        return ChatResponse.model_validate(record.response) if record is not None else None

    def _report_failure(self, context: RequestContext, error: errors.MastraError) -> None:
        """Publish ``request.failed``; a failure to publish must not hide the request's own error."""
        from mastra.events.build import request_failed

        try:
            self.publisher.publish([request_failed(context, type(error).__name__, error.message)])
        except errors.MastraError as exc:
            log.error("could not publish request.failed for %s: %s", context.request_id, exc.message)

    # ---- requests ------------------------------------------------------------------------------
    def new_request(self, request: ChatRequest, *, tenant_id: str | None = None) -> RequestContext:
        """Admit a request: ids assigned, thread ownership checked (409 before any work is done)."""
        tenant = tenant_id or self.settings.tenant_id
        thread_id = request.thread_id or new_id()
        if request.thread_id is not None:
            self.store.check_thread_owner(tenant, thread_id, request.user_id)
            self.check_thread_budget(tenant, thread_id)
        return RequestContext(
            request_id=new_id(),
            tenant_id=tenant,
            user_id=request.user_id,
            thread_id=thread_id,
            # The one entry point of a user's message: redacted here, so the stored turn, its
            # embedding, the events, the logs, the Step Functions input and the providers never
            # see what the tenant's privacy policy does not allow.
            message=self.privacy.inbound(tenant, request.message),
            received_at=time.time(),
            new_thread=request.thread_id is None,
        )

    def chat(self, request: ChatRequest, *, tenant_id: str | None = None) -> ChatResponse:
        """Run one request through the pipeline (locally, in-process) and return the response."""
        started = time.perf_counter()  # the total includes admission (the thread's owner and budget)
        return self.run(self.new_request(request, tenant_id=tenant_id), started=started)

    def run(self, context: RequestContext, *, resume: bool = False, started: float | None = None) -> ChatResponse:
        """Run an admitted request through the pipeline. ``resume``: the request may have run before
        (a redelivered queue message): if its turn is stored, that response is returned and nothing
        runs again (one read; the synchronous path skips it)."""
        from mastra.workflow import ExecutionFailed

        if resume:
            stored = self._stored_response(context)
            if stored is not None:
                return stored
        if started is None:
            started = time.perf_counter()
        try:
            output = self.pipeline.run({"request": context.model_dump()})
        except ExecutionFailed as exc:
            stored = self._stored_response(context)
            if stored is not None:  # the turn was stored before a later fault: it stands
                log.warning(
                    "request %s failed after its turn was stored (%s); answering from the store",
                    context.request_id,
                    exc.error,
                )
                return stored
            error = error_from_execution(exc.error, exc.cause)
            self._report_failure(context, error)
            raise error from None
        response = ChatResponse.model_validate(output)
        response.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 3)
        self._count_usage(context, response)
        return response

    # ---- governors -----------------------------------------------------------------------------
    def check_thread_budget(self, tenant_id: str, thread_id: str) -> None:
        """Refuse (429, before any work) a thread that has used its token or time budget."""
        limits = self.settings.thread_token_budget, self.settings.thread_time_budget_ms
        if not any(limits):
            return
        usage = self.answer_cache.thread_usage(tenant_id, thread_id)
        tokens, ms = limits
        if tokens and usage.tokens >= tokens:
            raise errors.BudgetExceededError(
                f"thread {thread_id} has used its budget of {tokens} model tokens ({usage.tokens} used)",
                details={"thread_id": thread_id, "tokens": usage.tokens, "token_budget": tokens},
            )
        if ms and usage.elapsed_ms >= ms:
            raise errors.BudgetExceededError(
                f"thread {thread_id} has used its budget of {ms:g} ms of processing ({usage.elapsed_ms:.0f} ms used)",
                details={"thread_id": thread_id, "elapsed_ms": usage.elapsed_ms, "time_budget_ms": ms},
            )

    def _count_usage(self, context: RequestContext, response: ChatResponse) -> None:
        """Add the request's tokens and time to its thread's counters (a failure to count is logged)."""
        if not (self.settings.thread_token_budget or self.settings.thread_time_budget_ms):
            return
        tokens = sum(e.input_tokens + e.output_tokens for e in response.trace.executions)
        try:
            self.answer_cache.add_usage(
                context.tenant_id,
                context.thread_id,
                tokens=tokens,
                elapsed_ms=response.timings_ms.get("total", 0.0),
                expires_at=self.store.expiry(context.tenant_id, time.time()),  # the thread's retention
            )
        except errors.MastraError as exc:
            log.warning("could not count thread %s's usage: %s", context.thread_id, exc.message)


def error_from_execution(error: str, cause: str) -> errors.MastraError:
    """Re-raise a failed execution as the Mastra error it names (so a 409 stays a 409)."""
    import json

    try:
        message = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        message = cause
    if error == "States.Timeout":  # a step, or the whole execution, ran out of time
        return errors.StepTimeoutError(f"the pipeline timed out: {message}" if message else "the pipeline timed out")
    cls = getattr(errors, error, None)
    if isinstance(cls, type) and issubclass(cls, errors.MastraError):
        return cls(message)
    return errors.PipelineError(f"pipeline failed: {error}: {message}", details={"error": error})


@cache
def get_runtime() -> Runtime:
    """The process's runtime (Lambda handlers and the API share it within a container)."""
    return Runtime()
