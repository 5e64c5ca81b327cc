"""The error tree shared by every layer of Mastra.

Each error carries a stable ``code``, the HTTP ``status`` the API answers with, whether a retry
can help (``retryable``) and who is at fault (``category``). Lambda reports an exception's class
name as the error type, so the Step Functions ``Retry``/``Catch`` rules match these class names:
keep them stable.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

Category = Literal["user", "system", "third_party"]


class MastraError(Exception):
    """Base of all Mastra errors."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
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
    status = 422
    category = "user"


class NotFoundError(MastraError):
    """A named thing (agent, request, thread) does not exist for this tenant."""

    code = "not_found"
    status = 404
    category = "user"


class ConflictError(MastraError):
    """The request conflicts with stored state (e.g. a thread that belongs to another user)."""

    code = "conflict"
    status = 409
    category = "user"


class SpecError(MastraError):
    """An agent specification file is invalid; the message names the file, the field and the reason."""

    code = "invalid_agent_spec"
    status = 422
    category = "user"


class ToolError(MastraError):
    """A tool was called with arguments it cannot use, or failed to produce a result."""

    code = "tool_error"
    status = 422
    category = "user"


class ProviderError(MastraError):
    """A model provider failed in a way a retry will not fix."""

    code = "provider_error"
    status = 502
    category = "third_party"


class ProviderThrottledError(ProviderError):
    """A model provider throttled or was briefly unavailable; retry with backoff."""

    code = "provider_throttled"
    status = 503
    retryable = True


class StepTimeoutError(MastraError):
    """A step ran out of its time budget."""

    code = "timeout"
    status = 504
    retryable = True


class StorageError(MastraError):
    """The store could not be read or written; nothing was half-written."""

    code = "storage_unavailable"
    status = 503
    retryable = True


class PipelineError(MastraError):
    """The pipeline failed for good after its retries and fallbacks."""

    code = "pipeline_failed"
    status = 502
