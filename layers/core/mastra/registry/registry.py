"""Registering, promoting and serving model versions.

A version is registered as a *candidate*. It serves requests once it is the *champion*: at once
with :meth:`ModelRegistry.promote` (an operator's decision, and how rollback works), or through
the gate, :meth:`ModelRegistry.promote_if_better`, which evaluates the candidate and the champion
on the same held-out set with the same code and promotes only on a margin. Request-path
functions read the champion through :class:`ChampionCache`, so a promotion reaches every warm
container within the cache's TTL, with no redeploy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from mastra.registry.artifacts import ArtifactStore
from mastra.storage.base import Store
from mastra.storage.models import ModelVersion

M = TypeVar("M")


@dataclass(frozen=True)
class PromotionDecision:
    promoted: bool
    candidate: float
    champion: float | None
    reason: str


class ModelRegistry:
    def __init__(
        self, store: Store, artifacts: ArtifactStore, cache_dir: Path, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store, self.artifacts, self.cache_dir, self.clock = store, artifacts, cache_dir, clock

    def register(
        self,
        kind: str,
        artifact_dir: Path,
        *,
        metrics: dict[str, float] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        note: str = "",
        number: int | None = None,
    ) -> ModelVersion:
        """Upload the artifact, then record the version as a candidate (numbered by the store)."""
        uri = self.artifacts.put(kind, artifact_dir)
        version = ModelVersion(
            kind=kind,
            created_at=self.clock(),
            artifact=uri,
            metrics=metrics or {},
            data=data or {},
            params=params or {},
            note=note,
        )
        return self.store.add_model_version(version, number=number)

    def versions(self, kind: str) -> list[ModelVersion]:
        return self.store.list_model_versions(kind)

    def champion(self, kind: str) -> ModelVersion | None:
        return self.store.champion(kind)

    def promote(self, kind: str, version: int) -> ModelVersion:
        """Make ``version`` the champion now (no gate). Rolling back is promoting an earlier version."""
        return self.store.set_champion(kind, version)

    def promote_if_better(
        self, kind: str, version: int, evaluate: Callable[[Path], float], *, margin: float
    ) -> PromotionDecision:
        """The gate: promote ``version`` only if ``evaluate`` scores it ``margin`` above the champion.

        ``evaluate`` gets an artifact directory and returns a score on the held-out set (higher is
        better); both models are scored now, by the same code on the same data. The promotion is
        refused if the champion changed meanwhile (ConflictError).
        """
        candidate = self.store.get_model_version(kind, version)
        if candidate is None:
            from mastra.errors import NotFoundError

            raise NotFoundError(f"no {kind} model version {version}")
        champion = self.store.champion(kind)
        score = evaluate(self.artifact_dir(candidate))
        if champion is None:
            self.store.set_champion(kind, version, expected=None)
            return PromotionDecision(True, score, None, "no champion yet")
        if champion.version == version:
            return PromotionDecision(False, score, score, "already the champion")
        incumbent = evaluate(self.artifact_dir(champion))
        if score < incumbent + margin:
            reason = f"{score:.4f} does not beat the champion's {incumbent:.4f} by {margin:g}"
            return PromotionDecision(False, score, incumbent, reason)
        self.store.set_champion(kind, version, expected=champion.version)
        return PromotionDecision(True, score, incumbent, f"{score:.4f} beats {incumbent:.4f} by ≥ {margin:g}")

    def artifact_dir(self, version: ModelVersion) -> Path:
        return self.artifacts.fetch(version.artifact, self.cache_dir)


class ChampionCache(Generic[M]):
    """The champion of one kind, loaded once per container and refreshed after a promotion.

    The champion pointer is re-read at most every ``ttl_s`` seconds (one small read); the model
    is reloaded only when the version changed. If the registry cannot be read, the loaded model
    keeps serving (a stale model beats a failed request) and the read is retried after the TTL.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        kind: str,
        load: Callable[[Path, ModelVersion], M],
        *,
        ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry, self.kind, self.load, self.ttl_s, self.clock = registry, kind, load, ttl_s, clock
        self._lock = threading.Lock()
        self._loaded: tuple[int, M] | None = None
        self._checked_at = float("-inf")

    def get(self) -> tuple[int, M] | None:
        """``(version, model)`` of the current champion, or None if there is none."""
        now = self.clock()
        if self._loaded is not None and now - self._checked_at < self.ttl_s:
            return self._loaded
        with self._lock:
            if self._loaded is not None and self.clock() - self._checked_at < self.ttl_s:
                return self._loaded
            from mastra.errors import MastraError

            try:
                champion = self.registry.champion(self.kind)
                if champion is not None and (self._loaded is None or self._loaded[0] != champion.version):
                    self._loaded = (champion.version, self.load(self.registry.artifact_dir(champion), champion))
            except MastraError:
                if self._loaded is None:
                    raise
            self._checked_at = self.clock()
            return self._loaded
