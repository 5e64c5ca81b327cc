"""Async requests: ``POST /v1/requests`` queues a chat request, a worker runs it, a callback reports it."""

from mastra.async_requests.callbacks import CallbackSender, check_callback_url
from mastra.async_requests.models import (
    AsyncChatRequest,
    CallbackDelivery,
    QueuedRequest,
    RequestAccepted,
    RequestError,
    RequestStatus,
)
from mastra.async_requests.service import AsyncRequests, LocalWorkers, RunAgain
from mastra.async_requests.store import RequestStatusStore

__all__ = [
    "AsyncChatRequest",
    "AsyncRequests",
    "CallbackDelivery",
    "CallbackSender",
    "LocalWorkers",
    "QueuedRequest",
    "RequestAccepted",
    "RequestError",
    "RequestStatus",
    "RequestStatusStore",
    "RunAgain",
    "check_callback_url",
]
