"""The status-record contract: one record per queued request, written with optimistic revisions.

    async request   (tenant, request) -> RequestStatus, revision 1, 2, ...

A worker moves a record queued -> running -> succeeded | failed; two workers holding the same
message (SQS delivers at least once) race on the revision, and the loser re-reads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from mastra.async_requests.models import RequestStatus


class RequestStatusStore(ABC):
    backend: ClassVar[str]

    @abstractmethod
    def create(self, status: RequestStatus) -> RequestStatus:
        """Store a new record at revision 1; :class:`ConflictError` if the request id is taken."""

    @abstractmethod
    def get(self, tenant_id: str, request_id: str) -> RequestStatus | None:
        """The record (None: no such request for this tenant, or it expired)."""

    @abstractmethod
    def _replace(self, status: RequestStatus, expected_revision: int) -> bool:
        """Write ``status`` if the stored revision is ``expected_revision``; False if not (lost a race)."""

    def update(self, status: RequestStatus) -> RequestStatus | None:
        """Store a changed record read at ``status.revision``; returns it at the next revision, or None
        if someone else wrote it meanwhile (re-read and decide again)."""
        new = status.model_copy(update={"revision": status.revision + 1})
        return new if self._replace(new, status.revision) else None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (the SQLite file and the table are the turn store's)."""
