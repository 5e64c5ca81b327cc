"""Sentiment on the request path: the registry's champion head over the shared encoder.

A champion trained on another encoder cannot read this one's embeddings: the built-in head then
serves, with a warning. If the encoder itself fails, the step fails and the pipeline's
``SentimentUnavailable`` state records a neutral sentiment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from mastra.errors import MastraError
from mastra.sentiment.base import Sentiment
from mastra.sentiment.head import BUILTIN, SentimentHead

if TYPE_CHECKING:
    from mastra.encoder import Encoding, MessageEncoder
    from mastra.registry import ChampionCache

log = logging.getLogger(__name__)


class SentimentService:
    name = "encoder-sentiment"

    def __init__(
        self, encoder: Callable[[], MessageEncoder], champion: ChampionCache[SentimentHead] | None = None
    ) -> None:
        self._encoder, self.champion = encoder, champion
        self.builtin = SentimentHead.load(BUILTIN)
        self._warned: set[int] = set()

    def current(self, encoder_digest: str) -> SentimentHead:
        try:
            got = self.champion.get() if self.champion is not None else None
        except MastraError as exc:
            log.warning("model registry unavailable (%s); using the built-in sentiment head", exc.message)
            return self.builtin
        if got is None:
            return self.builtin
        version, head = got
        if head.encoder == encoder_digest:
            return head
        if version not in self._warned:
            self._warned.add(version)
            log.warning(
                "champion sentiment v%d reads encoder %s, not %s; using the built-in head",
                version,
                head.encoder,
                encoder_digest,
            )
        return self.builtin

    def analyze(self, text: str, encoding: Encoding | None = None) -> Sentiment:
        """Sentiment of ``text``; pass its ``encoding`` when another step already encoded it (then
        the encoder is not even loaded, as long as a head reads that encoder's space)."""
        if encoding is not None:
            head = self.current(encoding.encoder)
            if head.encoder == encoding.encoder:
                return head.analyze(encoding)
        encoding = self._encoder().encode(text)
        return self.current(encoding.encoder).analyze(encoding)
