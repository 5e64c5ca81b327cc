"""Process-wide settings, read once from ``MASTRA_*`` environment variables.

On AWS the SAM template's ``Globals`` set them; locally a shell or ``.env`` does. This is a plain
pydantic model rather than ``pydantic-settings``: the latter costs ~55 ms of import (it pulls in
asyncio and argparse helpers), a fifth of the cold-start budget, for what a dozen lines do here.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PACKAGE_DIR = Path(__file__).resolve().parent
EXAMPLE_AGENTS_DIR = PACKAGE_DIR / "examples" / "agents"


class Settings(BaseModel):
    """Mastra's configuration. Every field can be set with ``MASTRA_<FIELD>`` (upper case)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(default_factory=lambda: Path.home() / ".mastra", description="Data directory.")
    agents_dir: Path = Field(EXAMPLE_AGENTS_DIR, description="Directory of agent spec files.")
    tenant_id: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Tenant of local calls.")
    store: Literal["sqlite", "dynamodb"] = Field("sqlite", description="Storage backend.")
    table_name: str = Field("mastra", min_length=3, max_length=255, description="DynamoDB table (store=dynamodb).")
    retention_days: float | None = Field(
        None, gt=0, description="Stored turns expire after this many days (DynamoDB TTL; none: kept)."
    )
    events: Literal["local", "sqs", "off"] = Field(
        "local", description="Where pipeline events go: in-process to the store, an SQS queue, or nowhere."
    )
    events_queue_url: str | None = Field(None, description="SQS queue for events (events=sqs).")
    pipeline: Literal["local", "stepfunctions"] = Field(
        "local", description="Run the request pipeline in-process, or as the Step Functions state machine."
    )
    pipeline_arn: str | None = Field(None, description="State machine ARN (pipeline=stepfunctions).")
    pipeline_sync: bool = Field(
        True, description="StartSyncExecution (Express workflows); false: start and poll (Standard, moto)."
    )
    artifacts_bucket: str | None = Field(None, description="S3 bucket for model artifacts and exports.")
    confidence_floor: float = Field(
        0.30, ge=0, le=1, description="Below this routing confidence the fallback agent answers."
    )
    model_ttl_s: float = Field(
        60.0, ge=0, description="How often a warm process re-reads the champion model pointer (promotion lag)."
    )
    key_cache_ttl_s: float = Field(
        5.0, ge=0, le=60, description="How long a process trusts a looked-up API key (revocation lag; 0: no cache)."
    )
    jwt_tenant_claim: str = Field(
        "custom:tenant_id", min_length=1, description="The JWT claim naming the caller's tenant (JWT authorizer)."
    )
    jwt_default_scopes: str = Field(
        "chat,feedback,memory",
        pattern=r"^[a-z,]*$",
        description="Scopes of a JWT that carries none (a Cognito ID token); empty: such a token may do nothing.",
    )
    prompt_ttl_s: float = Field(
        30.0, ge=0, description="How often a warm process re-reads a prompt label (label-move lag)."
    )
    prompts_dir: Path | None = Field(
        None, description="Prompt files seeded into the embedded registry (default: <agents_dir>/../prompts)."
    )
    reflection_threshold: float = Field(
        0.47, ge=0, le=1, description="Answers scoring below this are repaired or retried with the next-best agent."
    )
    injection_block_threshold: float = Field(
        0.85,
        ge=0,
        le=1.01,
        description="Requests whose prompt-injection score reaches this are refused unanswered (>1: never).",
    )
    retry_min_confidence: float = Field(
        0.05, ge=0, le=1, description="A retry candidate needs at least this routing confidence."
    )
    max_attempts: int = Field(
        3, ge=1, le=6, description="Per request: answers tried at most (the first, then retries and repairs)."
    )
    request_budget_ms: float = Field(
        8000.0, gt=0, description="Per request: no retry or repair starts once this much time has passed."
    )
    thread_token_budget: int = Field(
        200_000, ge=0, description="Per thread: model tokens a thread may use (0: no limit); then 429."
    )
    thread_time_budget_ms: float = Field(
        600_000.0, ge=0, description="Per thread: pipeline time a thread may use (0: no limit); then 429."
    )
    answer_cache_ttl_s: float = Field(
        3600.0, ge=0, description="Cached answers to repeated requests live this long (0: no cache)."
    )
    reflection_skip_confidence: float = Field(
        0.90, ge=0, le=1.01, description="Fast path: routing confidence needed to skip reflection (>1: never)."
    )
    reflection_skip_min_score: float = Field(
        0.75, ge=0, le=1, description="Fast path: the agent's observed reflection score (and reward) needed."
    )
    stats_min_n: int = Field(
        30, ge=1, description="Observed requests an agent needs before its statistics drive fast paths and timeouts."
    )
    timeout_p99_factor: float = Field(
        3.0, gt=0, description="Adaptive timeout: this times the agent's observed p99, within [floor, timeout_s]."
    )
    timeout_floor_s: float = Field(2.0, gt=0, description="Adaptive timeout: never below this.")
    prebuilt_dir: Path = Field(
        PACKAGE_DIR / "prebuilt", description="Read-only compiled agent sets shipped with a build (Lambda layer)."
    )
    provider_override: str | None = Field(
        None, description="Run every agent on this provider (e.g. 'fake' for overhead benchmarks)."
    )
    bandit: bool = Field(
        True, description="Selection learns from rewards: a bandit over the router's scores (needs a reward source)."
    )
    bandit_epsilon: float = Field(
        0.10, ge=0, le=1, description="The most often a request may be served by the bandit's exploration draw."
    )
    bandit_prior_strength: float = Field(
        10.0, gt=0, description="How many rewards the router's probability is worth in the bandit's prior."
    )
    bandit_ttl_s: float = Field(
        5.0, ge=0, description="How long a warm process reuses a (tenant, topic)'s reward counters."
    )
    # ---- feedback and rewards (mastra.feedback) ----
    feedback_half_life_h: float = Field(
        72.0, gt=0, description="Arm statistics decay: a reward this many hours old counts half."
    )
    feedback_window_h: int = Field(216, ge=1, description="Hours of arm counters the bandit's statistics read.")
    rephrase_threshold: float = Field(
        0.70, ge=-1, le=1, description="Cosine of consecutive user messages from which the second is a rephrase."
    )
    # ---- rate limits and idempotency (mastra.security.ratelimit, mastra.idempotency) ----
    rate_per_s: float = Field(
        0.0, ge=0, description="Default requests/s per API key (token refill); 0: no limit unless the key sets one."
    )
    rate_burst: int = Field(20, ge=1, description="Default token-bucket size per API key: requests allowed at once.")
    rate_limit_fail_open: bool = Field(
        True, description="If the bucket store fails: admit (log, RateLimitStoreErrors metric); false: 503."
    )
    idempotency_ttl_s: float = Field(
        86400.0, ge=1, description="How long a response stored under an Idempotency-Key is replayed."
    )
    idempotency_lease_s: float = Field(
        60.0, gt=0, description="A call in progress holds its Idempotency-Key this long at most (off Lambda)."
    )
    idempotency_table_name: str = Field(
        "mastra-idempotency", min_length=3, max_length=255, description="DynamoDB table of idempotency records."
    )
    # ---- async requests (mastra.async_requests) ----
    requests_queue: Literal["local", "sqs"] = Field(
        "local", description="Where POST /v1/requests queues work: the embedded queue (a worker thread) or SQS."
    )
    requests_queue_url: str | None = Field(None, description="SQS queue of async requests (requests_queue=sqs).")
    requests_max_receives: int = Field(
        3, ge=1, le=20, description="Runs of a queued request before it fails (SQS: the queue's maxReceiveCount)."
    )
    requests_lease_s: float = Field(
        300.0, gt=0, description="Embedded queue: a claimed request is re-run if its worker has not finished by then."
    )
    requests_workers: int = Field(2, ge=1, le=32, description="Embedded queue: worker threads of `mastra serve`.")
    callback_secrets: Literal["local", "ssm"] = Field(
        "local", description="Callback signing secrets: files under <home>/callback-secrets, or SSM SecureStrings."
    )
    callback_secret_prefix: str = Field(
        "/mastra/callback-secret/", description="SSM parameter of a tenant's callback secret: <prefix><tenant>."
    )
    callback_attempts: int = Field(4, ge=1, le=10, description="Deliveries of a callback tried before it fails.")
    callback_timeout_s: float = Field(5.0, gt=0, le=60, description="Per callback delivery attempt.")
    event_bus_name: str | None = Field(
        None, description="EventBridge bus the event consumer forwards pipeline events to (none: not forwarded)."
    )
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _complete(self) -> Settings:
        if self.events == "sqs" and not self.events_queue_url:
            raise ValueError("MASTRA_EVENTS=sqs needs MASTRA_EVENTS_QUEUE_URL")
        if self.pipeline == "stepfunctions" and not self.pipeline_arn:
            raise ValueError("MASTRA_PIPELINE=stepfunctions needs MASTRA_PIPELINE_ARN")
        if self.requests_queue == "sqs" and not self.requests_queue_url:
            raise ValueError("MASTRA_REQUESTS_QUEUE=sqs needs MASTRA_REQUESTS_QUEUE_URL")
        return self

    @property
    def db_path(self) -> Path:
        return self.home / "mastra.db"

    @property
    def prompts_path(self) -> Path:
        return self.prompts_dir or self.agents_dir.parent / "prompts"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``MASTRA_*`` variables; explicit ``overrides`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(f"MASTRA_{name.upper()}")
            if raw not in (None, ""):
                values[name] = raw
        values.update(overrides)
        settings = cls.model_validate(values)
        return settings.model_copy(update={"home": settings.home.expanduser()})


@cache
def get_settings() -> Settings:
    """The process's settings (cached; tests call ``get_settings.cache_clear()`` after changing env)."""
    return Settings.from_env()
