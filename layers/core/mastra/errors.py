"""The error tree shared by every layer of Mastra.

Each error carries a stable ``code``, whether a retry can help (``retryable``) and who is at fault
(``category``); the API maps classes to HTTP statuses in one table (``mastra.api.errors``).
Lambda reports an exception's class name as the error type, so the Step Functions
``Retry``/``Catch`` rules match these class names: keep them stable.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

Category = Literal["user", "system", "third_party"]


class MastraError(Exception):
    """Base of all Mastra errors."""

    code: ClassVar[str] = "internal_error"
    retryable: ClassVar[bool] = False
    category: ClassVar[Category] = "system"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The error as the API returns it: ``{"error": code, "message": ..., "details"?: ...}``."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidRequestError(MastraError):
    """The caller sent something that cannot be processed as is."""

    code = "invalid_request"
    category = "user"


class PromptRenderError(InvalidRequestError):
    """A prompt template cannot be rendered: a missing, mistyped or undeclared variable, a syntax
    error, or an attempt to leave the sandbox."""

    code = "prompt_render_error"


class NotFoundError(MastraError):
    """A named thing (agent, request, thread) does not exist for this tenant."""

    code = "not_found"
    category = "user"


class ConflictError(MastraError):
    """The request conflicts with stored state (e.g. a thread that belongs to another user)."""

    code = "conflict"
    category = "user"


class SpecError(MastraError):
    """An agent specification file is invalid; the message names the file, the field and the reason."""

    code = "invalid_agent_spec"
    category = "user"


class ToolError(MastraError):
    """A tool was called with arguments it cannot use, or failed to produce a result."""

    code = "tool_error"
    category = "user"


class ProviderError(MastraError):
    """A model provider failed in a way a retry will not fix."""

    code = "provider_error"
    category = "third_party"


class ProviderThrottledError(ProviderError):
    """A model provider throttled or was briefly unavailable; retry with backoff."""

    code = "provider_throttled"
    retryable = True


class StepTimeoutError(MastraError):
    """A step ran out of its time budget."""

    code = "timeout"
    retryable = True


class StorageError(MastraError):
    """The store could not be read or written; nothing was half-written."""

    code = "storage_unavailable"
    retryable = True


class StorageRejectedError(StorageError):
    """The store refused the operation for good (a missing table, no permission, an invalid item)."""

    code = "storage_rejected"
    retryable = False


class EventPublishError(MastraError):
    """Events could not be delivered; the step fails and is retried rather than dropping them."""

    code = "events_unavailable"
    retryable = True
    category = "third_party"


class PipelineError(MastraError):
    """The pipeline failed for good after its retries and fallbacks."""

    code = "pipeline_failed"


class BudgetExceededError(MastraError):
    """A thread has used its budget of model tokens or pipeline time; no more work is done for it."""

    code = "budget_exceeded"
    category = "user"


class UnauthorizedError(MastraError):
    """No credential, or one that is unknown, revoked or expired (HTTP 401)."""

    code = "unauthorized"
    category = "user"


class ForbiddenError(MastraError):
    """The credential is valid but lacks the scope the call needs (HTTP 403)."""

    code = "forbidden"
    category = "user"


class RateLimitedError(MastraError):
    """The credential has used its request rate; ``retry_after_s`` says when a token is free (HTTP 429)."""

    code = "rate_limited"
    retryable = True
    category = "user"

    def __init__(self, message: str, *, retry_after_s: float, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"retry_after_s": round(retry_after_s, 3), **(details or {})})
        self.retry_after_s = retry_after_s
