"""An agent directory compiled for serving: specs, shared TF-IDF space, routers, knowledge indexes.

Compiling tokenises every spec text, solves the TF-IDF router's ridge system and fits the
prototype router from the specs, which encodes every spec text (~2.5 s for the example agents),
so the result is cached under the data dir, keyed by a digest of the spec files and of
the code that compiles them: a restart with unchanged specs and code loads it in milliseconds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from mastra.knowledge import KnowledgeIndex
from mastra.selection.prototype import PrototypeRouter
from mastra.selection.ridge import RidgeRouter
from mastra.spec.registry import AgentRegistry, directory_fingerprint
from mastra.text import TfidfSpace

if TYPE_CHECKING:
    from collections.abc import Callable

    from mastra.encoder import MessageEncoder

log = logging.getLogger(__name__)
CACHE_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parents[1]
#: The modules whose code decides what a compiled agent set contains.
_COMPILER_SOURCES = (
    "agents/agentset.py",
    "encoder/assets/encoder.json",
    "knowledge.py",
    "selection/fit.py",
    "selection/prototype.py",
    "selection/ridge.py",
    "spec/models.py",
    "text/features.py",
    "text/tfidf.py",
)


@cache
def compiler_digest() -> str:
    h = hashlib.sha256()
    for name in _COMPILER_SOURCES:
        h.update((_PACKAGE / name).read_bytes())
    return h.hexdigest()[:12]


@dataclass
class AgentSet:
    registry: AgentRegistry
    space: TfidfSpace
    router: RidgeRouter  # TF-IDF: serves when the encoder cannot; the space also serves retrieval
    knowledge: dict[str, KnowledgeIndex]
    fingerprint: str = ""
    prototype_router: PrototypeRouter | None = None  # fitted from the specs (cold start)
    fit_report: dict[str, object] | None = None

    def spec_router(self, encoder: MessageEncoder) -> PrototypeRouter:
        """The prototype router fitted from these specs alone, in ``encoder``'s embedding space."""
        if self.prototype_router is None or self.prototype_router.encoder != encoder.digest:
            from mastra.selection.fit import fit_router

            router, self.fit_report = fit_router(encoder.embed, registry=self.registry, encoder=encoder.digest)
            router.name = f"{router.name}@specs"
            self.prototype_router = router
        return self.prototype_router

    @classmethod
    def compile(cls, registry: AgentRegistry, fingerprint: str = "", encoder: MessageEncoder | None = None) -> AgentSet:
        corpus: list[str] = []
        for spec in registry:
            corpus.extend(spec.routing_texts())
            corpus.extend(f"{p.title}. {p.text}" for p in spec.knowledge.passages)
        space = TfidfSpace.fit(corpus)
        router = RidgeRouter.train(registry, space)
        knowledge = {
            spec.id: KnowledgeIndex(space, spec.knowledge.passages, spec.passage_questions()) for spec in registry
        }
        agents = cls(registry, space, router, knowledge, fingerprint)
        if encoder is not None:
            agents.spec_router(encoder)
        return agents

    @staticmethod
    def cache_name(directory: Path) -> str:
        """The file name of ``directory``'s compiled set: changes with any spec file or compiler code."""
        return f"agentset-v{CACHE_FORMAT}-{directory_fingerprint(directory)}-{compiler_digest()}.pkl"

    @classmethod
    def load(
        cls,
        directory: str | Path,
        cache_dir: Path | None = None,
        *,
        prebuilt_dir: Path | None = None,
        encoder: Callable[[], MessageEncoder] | None = None,
    ) -> AgentSet:
        """Load ``directory``'s compiled agent set, compiling (and caching) it only if needed.

        ``prebuilt_dir`` is read-only: a build step (the Lambda layer's) puts the compiled set
        there, so a cold start loads it instead of compiling. ``cache_dir`` is written.
        ``encoder`` is called only to compile: a function that loads a compiled set and never
        routes (execute, reflect) does not load the encoder.
        """
        directory = Path(directory)
        name = cls.cache_name(directory)
        for candidate in (d / name for d in (prebuilt_dir, cache_dir) if d is not None):
            if candidate.exists():
                try:
                    with candidate.open("rb") as f:
                        agents: AgentSet = pickle.load(f)
                    return agents
                except Exception as exc:  # a corrupt or incompatible file is rebuilt, never fatal
                    log.warning("ignoring unreadable compiled agents %s: %s", candidate, exc)
        if encoder is None:
            from mastra.encoder import MessageEncoder

            encoder = MessageEncoder
        agents = cls.compile(AgentRegistry.from_directory(directory), directory_fingerprint(directory), encoder())
        if cache_dir is not None:
            agents.save(cache_dir / name)
        return agents

    def save(self, path: Path) -> None:
        """Write atomically: concurrent starts never read a half-written file."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600; Lambda reads layer files as another user
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot write compiled agents %s: %s", path, exc)
