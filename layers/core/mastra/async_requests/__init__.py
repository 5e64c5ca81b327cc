"""Async requests: ``POST /v1/requests`` queues a chat request, a worker runs it, a callback reports it.

Exports are lazy: the CLI wires ``mastra requests`` at start-up and must not pay for the models,
the callback sender or the queue.
"""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports

if TYPE_CHECKING:
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

__getattr__ = lazy_exports(
    __name__,
    {
        "AsyncChatRequest": "mastra.async_requests.models",
        "AsyncRequests": "mastra.async_requests.service",
        "CallbackDelivery": "mastra.async_requests.models",
        "CallbackSender": "mastra.async_requests.callbacks",
        "LocalWorkers": "mastra.async_requests.service",
        "QueuedRequest": "mastra.async_requests.models",
        "RequestAccepted": "mastra.async_requests.models",
        "RequestError": "mastra.async_requests.models",
        "RequestStatus": "mastra.async_requests.models",
        "RequestStatusStore": "mastra.async_requests.store",
        "RunAgain": "mastra.async_requests.service",
        "check_callback_url": "mastra.async_requests.callbacks",
    },
)

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
