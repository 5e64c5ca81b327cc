"""The set of agents a deployment serves, validated as a whole."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from mastra import __version__
from mastra.errors import NotFoundError, SpecError
from mastra.spec.loader import load_specs, spec_files
from mastra.spec.models import AgentSpec


def directory_fingerprint(directory: Path) -> str:
    """A digest of every spec file's name and bytes (and the library version): a cache key."""
    h = hashlib.sha256(__version__.encode())
    for path in spec_files(directory):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


class AgentRegistry:
    """Agents by id, with exactly one fallback agent.

    Cross-agent rules are checked here: unique ids, one fallback, known tools, prompt templates
    that only use declared variables.
    """

    def __init__(self, specs: list[AgentSpec], sources: dict[str, str] | None = None, where: str = "agents") -> None:
        sources = sources or {}
        by_id: dict[str, AgentSpec] = {}
        for spec in specs:
            if spec.id in by_id:
                raise SpecError(
                    f"{sources.get(spec.id, spec.id)}: id: agent id {spec.id!r} is declared twice "
                    f"(also in {sources.get(spec.id + '#first', 'another file')})"
                )
            by_id[spec.id] = spec
        fallbacks = [s.id for s in specs if s.fallback]
        if len(fallbacks) != 1:
            raise SpecError(
                f"{where}: fallback: exactly one agent must set `fallback: true`, found {len(fallbacks)}"
                + (f" ({', '.join(fallbacks)})" if fallbacks else "")
            )
        self._by_id = by_id
        self.fallback_id = fallbacks[0]
        self._validate_references(sources)

    def _validate_references(self, sources: dict[str, str]) -> None:
        from mastra.prompts import check_template
        from mastra.tools import TOOLS

        for spec in self._by_id.values():
            where = sources.get(spec.id, spec.id)
            for i, name in enumerate(spec.tools):
                if name not in TOOLS:
                    raise SpecError(
                        f"{where}: tools[{i}]: unknown tool {name!r} (available: {', '.join(sorted(TOOLS))})"
                    )
            if spec.prompt.system is not None:  # a registry ref is checked when it is resolved
                problem = check_template(spec.prompt.system, set(spec.prompt.variables))
                if problem:
                    raise SpecError(f"{where}: prompt.system: {problem}")
            for i, passage in enumerate(spec.knowledge.passages):
                if "{{" in passage.text or "{%" in passage.text:  # personalised from the user's memory
                    problem = check_template(passage.text, set())
                    if problem:
                        raise SpecError(f"{where}: knowledge.passages[{i}].text: {problem}")
        from mastra.memory.working import WorkingMemorySchema

        WorkingMemorySchema.of(self._by_id.values())  # a profile field has one type across agents

    @classmethod
    def from_directory(cls, directory: str | Path) -> AgentRegistry:
        loaded = load_specs(directory)
        if not loaded:
            raise SpecError(f"{directory}: no agent spec files (*.yaml, *.yml, *.json) found")
        sources: dict[str, str] = {}
        for path, spec in loaded:
            if spec.id in sources:
                sources[spec.id + "#first"] = sources[spec.id]
            sources[spec.id] = str(path)
        return cls([spec for _, spec in loaded], sources, where=str(directory))

    def __iter__(self) -> Iterator[AgentSpec]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._by_id

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    @property
    def fallback(self) -> AgentSpec:
        return self._by_id[self.fallback_id]

    def get(self, agent_id: str) -> AgentSpec:
        try:
            return self._by_id[agent_id]
        except KeyError:
            raise NotFoundError(f"unknown agent {agent_id!r}", details={"agent_id": agent_id}) from None
