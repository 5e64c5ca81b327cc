"""An agent directory compiled for serving: specs, shared TF-IDF space, router, knowledge indexes.

Compiling tokenises every spec text and solves the router's ridge system (~0.6 s for the example
agents), so the result is cached under the data dir, keyed by a digest of the spec files and of
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

from mastra.knowledge import KnowledgeIndex
from mastra.selection.ridge import RidgeRouter
from mastra.spec.registry import AgentRegistry, directory_fingerprint
from mastra.text import TfidfSpace

log = logging.getLogger(__name__)
CACHE_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parents[1]
#: The modules whose code decides what a compiled agent set contains.
_COMPILER_SOURCES = (
    "agents/agentset.py",
    "knowledge.py",
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
    router: RidgeRouter
    knowledge: dict[str, KnowledgeIndex]
    fingerprint: str = ""

    @classmethod
    def compile(cls, registry: AgentRegistry, fingerprint: str = "") -> AgentSet:
        corpus: list[str] = []
        for spec in registry:
            corpus.extend(spec.routing_texts())
            corpus.extend(f"{p.title}. {p.text}" for p in spec.knowledge.passages)
        space = TfidfSpace.fit(corpus)
        router = RidgeRouter.train(registry, space)
        knowledge = {
            spec.id: KnowledgeIndex(space, spec.knowledge.passages, spec.passage_questions()) for spec in registry
        }
        return cls(registry, space, router, knowledge, fingerprint)

    @classmethod
    def load(cls, directory: str | Path, cache_dir: Path | None = None) -> AgentSet:
        """Compile ``directory``'s specs, or load the cached compilation if the specs are unchanged."""
        directory = Path(directory)
        fingerprint = directory_fingerprint(directory)
        cached = cache_dir / f"agentset-v{CACHE_FORMAT}-{fingerprint}-{compiler_digest()}.pkl" if cache_dir else None
        if cached is not None and cached.exists():
            try:
                with cached.open("rb") as f:
                    agents: AgentSet = pickle.load(f)
                return agents
            except Exception as exc:  # a corrupt or incompatible cache is rebuilt, never fatal
                log.warning("ignoring unreadable agent cache %s: %s", cached, exc)
        agents = cls.compile(AgentRegistry.from_directory(directory), fingerprint)
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
                with os.fdopen(fd, "wb") as f:
                    pickle.dump(agents, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, cached)  # atomic: concurrent starts never read a half-written file
            except OSError as exc:
                log.warning("cannot write agent cache %s: %s", cached, exc)
        return agents
