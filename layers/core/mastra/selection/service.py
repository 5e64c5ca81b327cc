"""Routing on the request path: the registry's champion router, or the one compiled from the specs.

The champion serves when it fits this deployment: it routes only to agents that exist, covers
every routable agent, and reads the loaded encoder's embedding space. Otherwise (a fresh install
before version 0 is registered, an agent added since the champion was trained) the router
compiled from the current specs serves, and a warning says why. If the encoder cannot run, the
TF-IDF ridge router answers, so a broken model file degrades routing instead of failing requests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from mastra.errors import MastraError
from mastra.selection.base import Selection
from mastra.selection.prototype import PrototypeRouter

if TYPE_CHECKING:
    from mastra.agents.agentset import AgentSet
    from mastra.encoder import Encoding, MessageEncoder
    from mastra.registry import ChampionCache

log = logging.getLogger(__name__)


def fits(router: PrototypeRouter, agents: AgentSet, encoder_digest: str) -> str | None:
    """Why ``router`` cannot serve this deployment (None: it can)."""
    routable = {a for a in agents.registry.ids if a != agents.registry.fallback_id}
    if router.encoder != encoder_digest:
        return f"it reads encoder {router.encoder}, not {encoder_digest}"
    if unknown := sorted(set(router.agent_ids) - routable):
        return f"it routes to unknown agents {unknown}"
    if missing := sorted(routable - set(router.agent_ids)):
        return f"it never routes to {missing}"
    return None


class RoutingService:
    def __init__(
        self,
        agents: AgentSet,
        encoder: Callable[[], MessageEncoder],
        champion: ChampionCache[PrototypeRouter] | None = None,
    ) -> None:
        self.agents, self._encoder, self.champion = agents, encoder, champion
        self._warned: set[int] = set()

    def current(self, encoder_digest: str) -> PrototypeRouter:
        champion = self._champion(encoder_digest)
        return champion if champion is not None else self.agents.spec_router(self._encoder())

    def _champion(self, encoder_digest: str) -> PrototypeRouter | None:
        """The registry's champion when it can serve this deployment (else None, with a warning)."""
        if self.champion is None:
            return None
        try:
            got = self.champion.get()
        except MastraError as exc:
            log.warning("model registry unavailable (%s); routing with the spec-compiled router", exc.message)
            return None
        if got is None:
            return None
        version, router = got
        reason = fits(router, self.agents, encoder_digest)
        if reason is None:
            return router
        if version not in self._warned:
            self._warned.add(version)
            log.warning(
                "champion router v%d does not fit these agents (%s); routing with the spec-compiled router",
                version,
                reason,
            )
        return None

    def encode(self, message: str) -> Encoding | None:
        """The message's encoding, or None when the encoder cannot run (logged; routing degrades)."""
        try:
            return self._encoder().encode(message)
        except Exception as exc:  # onnxruntime raises its own types; any of them means no encoder
            log.error("message encoder failed (%s); routing with the TF-IDF router", exc)
            return None

    def route(self, message: str, *, floor: float) -> Selection:
        return self.route_encoded(message, self.encode(message), floor=floor)

    def route_encoded(self, message: str, encoding: Encoding | None, *, floor: float) -> Selection:
        """Route ``message`` by its ``encoding`` (None: the encoder failed; the TF-IDF router answers)."""
        if encoding is None:
            return self.agents.router.route(message, floor=floor)
        return self.current(encoding.encoder).route_embedding(encoding.embedding, floor=floor)
