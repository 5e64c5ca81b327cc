"""The prompt registry's service: versions, labels, diffs, and resolving ``id@label`` per request.

Resolving is on every request's path, so it is cached: a version is immutable and cached for the
life of the process; a label is re-read at most every ``ttl_s`` seconds (``MASTRA_PROMPT_TTL_S``),
so a label move (a release, a rollback) reaches every warm process within the TTL, without a
redeploy. A label split between two versions sends each user to one of them for good: the arm is
a function of ``sha256(prompt id, label, user id)``, the same in every process and on every host
(Python's ``hash`` is salted per process, so it would not be).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mastra.errors import ConflictError, InvalidRequestError, NotFoundError
from mastra.models import PromptUse
from mastra.prompts.models import (
    BUILTIN_VARIABLES,
    REF_PATTERN,
    Label,
    LabelMove,
    LabelTarget,
    PromptDiff,
    PromptDraft,
    PromptSummary,
    PromptVersion,
    Variable,
    VariableType,
)
from mastra.prompts.store import PromptStore

if TYPE_CHECKING:
    from mastra.spec.models import AgentSpec

_REF = re.compile(REF_PATTERN)
_MAX_CACHED_VERSIONS = 4096


def bucket(prompt_id: str, label: str, user_id: str) -> float:
    """A user's place in ``[0, 1)`` for one label's split: stable across processes and hosts.

    >>> bucket("banking", "production", "u1") == bucket("banking", "production", "u1")
    True
    """
    digest = hashlib.sha256(f"{prompt_id}\x1f{label}\x1f{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def choose_arm(target: LabelTarget, prompt_id: str, label: str, user_id: str) -> int | None:
    """The index of the split arm ``user_id`` falls in (None: the label is not split)."""
    if target.split is None:
        return None
    total = sum(s.weight for s in target.split)
    point, edge = bucket(prompt_id, label, user_id) * total, 0.0
    for i, arm in enumerate(target.split):
        edge += arm.weight
        if point < edge:
            return i
    return len(target.split) - 1  # float rounding at the very top


def parse_ref(ref: str) -> tuple[str, str | None, int | None]:
    """``id@label`` -> (id, label, None); ``id@7`` -> (id, None, 7)."""
    if not _REF.match(ref):
        raise InvalidRequestError(f"bad prompt reference {ref!r}: use <id>@<label> or <id>@<version>")
    prompt_id, _, tail = ref.partition("@")
    return (prompt_id, None, int(tail)) if tail.isdigit() else (prompt_id, tail, None)


def _type_of(value: Any) -> VariableType:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list | tuple):
        return "list"
    return "object" if isinstance(value, dict) else "string"


@dataclass(frozen=True)
class PromptChoice:
    """The prompt one request of one agent uses: which version, and how to render it.

    ``render(variables)`` adds the built-ins (``agent``, ``user_id``, ``today``, and the memory
    variables ``working_memory``, ``summary``, ``recalled`` when given) to the spec's static
    values; ``model`` holds the version's model settings, applied over the spec's.
    """

    ref: str
    template: str
    agent: Mapping[str, str]
    user_id: str
    declared: tuple[Variable, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    model: Mapping[str, Any] = field(default_factory=dict)
    prompt_id: str | None = None
    version: int | None = None
    label: str | None = None
    arm: int | None = None

    def render(self, variables: Mapping[str, Any] | None = None) -> str:
        from mastra.prompts.render import render

        extra = dict(variables or {})
        builtins: dict[str, Any] = {
            "agent": dict(self.agent),
            "user_id": self.user_id,
            "today": dt.date.today().isoformat(),
            "working_memory": {},
            "summary": "",
            "recalled": [],
        }
        builtins.update({k: extra.pop(k) for k in list(extra) if k in BUILTIN_VARIABLES})
        return render(self.template, self.declared, {**self.values, **extra}, builtins)

    def use(self) -> PromptUse:
        return PromptUse(ref=self.ref, prompt_id=self.prompt_id, version=self.version, label=self.label, arm=self.arm)


@dataclass(frozen=True)
class Resolved:
    version: PromptVersion
    label: str | None = None
    arm: int | None = None


class PromptService:
    """Create, list, diff and label prompt versions; resolve references with a TTL cache and A/B.

    >>> service = PromptService(store, ttl_s=30)                                      # doctest: +SKIP
    >>> v = service.create("banking", PromptDraft(template="You are {{ agent.name }}."))  # doctest: +SKIP
    >>> service.move_label("banking", "production", LabelTarget(version=v.version))  # doctest: +SKIP
    """

    def __init__(
        self,
        store: PromptStore,
        *,
        ttl_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        seed: Callable[[PromptService], object] | None = None,
    ) -> None:
        self.store, self.ttl_s, self.clock = store, ttl_s, clock
        self._lock = threading.Lock()
        self._versions: dict[tuple[str, int], PromptVersion] = {}
        self._labels: dict[tuple[str, str], tuple[float, Label | None]] = {}
        self._seed = seed
        self._seeded = seed is None
        # Apart from _lock (seeding calls methods that take it), and re-entrant: seeding creates
        # versions, and create() ensures seeding first. The thread seeding passes straight through.
        self._seed_lock = threading.RLock()
        self._seeding = False

    def _ensure_seeded(self) -> None:
        """Run the seeding callback once, on first use (the embedded default registers its prompt files)."""
        if self._seeded:
            return
        with self._seed_lock:
            if self._seeded or self._seeding or self._seed is None:
                return
            self._seeding = True
            try:
                self._seed(self)
            finally:
                self._seeding = False
            self._seeded = True

    # ---- versions --------------------------------------------------------------------------------
    def create(self, prompt_id: str, draft: PromptDraft, *, version: int | None = None) -> PromptVersion:
        """Validate the template (syntax; only declared or built-in variables) and store a new version."""
        from mastra.prompts.models import PROMPT_ID_PATTERN
        from mastra.prompts.render import validate_template

        if not re.match(PROMPT_ID_PATTERN, prompt_id):
            raise InvalidRequestError(f"bad prompt id {prompt_id!r}: lower-case letters, digits, '_' and '-'")
        validate_template(draft.template, draft.variables)
        self._ensure_seeded()  # else a new version of a seeded prompt would take the seed's number
        return self.store.create_version(prompt_id, draft, number=version)

    def get(self, prompt_id: str, version: int) -> PromptVersion:
        """One version (cached forever: versions are immutable)."""
        key = (prompt_id, version)
        cached = self._versions.get(key)
        if cached is not None:
            return cached
        self._ensure_seeded()
        found = self.store.get_version(prompt_id, version)
        if found is None:
            raise NotFoundError(
                f"prompt {prompt_id!r} has no version {version}", details={"prompt_id": prompt_id, "version": version}
            )
        with self._lock:
            if len(self._versions) >= _MAX_CACHED_VERSIONS:
                self._versions.clear()
            self._versions[key] = found
        return found

    def versions(self, prompt_id: str) -> list[PromptVersion]:
        self._ensure_seeded()
        found = self.store.versions(prompt_id)
        if not found:
            raise NotFoundError(f"no prompt {prompt_id!r}", details={"prompt_id": prompt_id})
        return found

    def list_prompts(self) -> list[PromptSummary]:
        self._ensure_seeded()
        return [
            PromptSummary(
                id=pid,
                latest_version=self.store.latest_version(pid),
                labels={label.name: label.target for label in self.store.labels(pid)},
            )
            for pid in self.store.prompt_ids()
        ]

    def diff(self, prompt_id: str, from_version: int, to_version: int) -> PromptDiff:
        a, b = self.get(prompt_id, from_version), self.get(prompt_id, to_version)
        template = "".join(
            difflib.unified_diff(
                a.template.splitlines(keepends=True),
                b.template.splitlines(keepends=True),
                fromfile=a.ref,
                tofile=b.ref,
            )
        )
        va, vb = {v.name: v for v in a.variables}, {v.name: v for v in b.variables}
        ma, mb = a.model.overrides(), b.model.overrides()
        return PromptDiff(
            id=prompt_id,
            from_version=from_version,
            to_version=to_version,
            template=template,
            variables_added=[vb[n] for n in sorted(vb.keys() - va.keys())],
            variables_removed=[va[n] for n in sorted(va.keys() - vb.keys())],
            variables_changed=[
                {"name": n, "from": va[n].model_dump(), "to": vb[n].model_dump()}
                for n in sorted(va.keys() & vb.keys())
                if va[n] != vb[n]
            ],
            model={
                k: {"from": ma.get(k), "to": mb.get(k)} for k in sorted(ma.keys() | mb.keys()) if ma.get(k) != mb.get(k)
            },
        )

    # ---- labels ------------------------------------------------------------------------------------
    def get_label(self, prompt_id: str, name: str) -> Label:
        """A label as stored now (not cached: for people and tools, not the request path)."""
        self._ensure_seeded()
        label = self.store.get_label(prompt_id, name)
        if label is None:
            raise NotFoundError(
                f"prompt {prompt_id!r} has no label {name!r}", details={"prompt_id": prompt_id, "label": name}
            )
        return label

    def move_label(
        self,
        prompt_id: str,
        name: str,
        target: LabelTarget,
        *,
        expected: LabelTarget | None = None,
        expect_new: bool = False,
        by: str = "unknown",
        note: str = "",
    ) -> Label:
        """Point label ``name`` at ``target`` (a version or a weighted split). With ``expected``, only
        if the label points there now; with ``expect_new``, only if it does not exist yet: otherwise
        ConflictError (HTTP 409), as when another move wins the race. Rollback is moving it back."""
        from mastra.prompts.models import LABEL_PATTERN

        if not re.match(LABEL_PATTERN, name):
            raise InvalidRequestError(f"bad label name {name!r}")
        for n in target.versions:
            self.get(prompt_id, n)  # NotFoundError for a version that does not exist
        current = self.store.get_label(prompt_id, name)
        if expect_new and current is not None:
            raise ConflictError(
                f"label {name!r} of prompt {prompt_id!r} exists (it points at {current.target.describe()})",
                details={"prompt_id": prompt_id, "label": name},
            )
        if expected is not None and (current is None or current.target != expected):
            now = current.target.describe() if current else "nothing"
            raise ConflictError(
                f"label {name!r} of prompt {prompt_id!r} points at {now}, not {expected.describe()}",
                details={"prompt_id": prompt_id, "label": name},
            )
        label = self.store.move_label(prompt_id, name, target, current=current, by=by, note=note)
        with self._lock:
            self._labels.pop((prompt_id, name), None)  # this process sees its own move at once
        return label

    def history(self, prompt_id: str, name: str | None = None) -> list[LabelMove]:
        self._ensure_seeded()
        return self.store.history(prompt_id, name)

    def _label(self, prompt_id: str, name: str) -> Label | None:
        """A label through the TTL cache (an absent label is cached too: the request path only reads)."""
        key = (prompt_id, name)
        now = self.clock()
        cached = self._labels.get(key)
        if cached is not None and now - cached[0] < self.ttl_s:
            return cached[1]
        label = self.store.get_label(prompt_id, name)
        with self._lock:
            self._labels[key] = (now, label)
        return label

    # ---- resolving ---------------------------------------------------------------------------------
    def resolve(self, ref: str, *, user_id: str) -> Resolved:
        """The version ``ref`` names for ``user_id``: ``id@7`` is version 7; ``id@label`` is the
        label's version, or, for a split label, the version of the user's arm."""
        self._ensure_seeded()
        prompt_id, label_name, number = parse_ref(ref)
        if number is not None:
            return Resolved(self.get(prompt_id, number))
        assert label_name is not None
        label = self._label(prompt_id, label_name)
        if label is None:
            raise NotFoundError(
                f"prompt {prompt_id!r} has no label {label_name!r} (register the prompt: mastra prompts seed DIR, "
                f"or move the label: mastra prompts label {prompt_id} {label_name} --version N)",
                details={"prompt_id": prompt_id, "label": label_name},
            )
        arm = choose_arm(label.target, prompt_id, label_name, user_id)
        version = label.target.versions[arm or 0]
        return Resolved(self.get(prompt_id, version), label_name, arm)

    def for_agent(self, spec: AgentSpec, *, user_id: str) -> PromptChoice:
        """The prompt choice for one request of ``spec``'s agent (reads at most one label, cached)."""
        agent = {"id": spec.id, "name": spec.name, "description": spec.description}
        values = dict(spec.prompt.variables)
        if spec.prompt.ref is None:
            return inline_choice(spec, user_id=user_id)
        r = self.resolve(spec.prompt.ref, user_id=user_id)
        return PromptChoice(
            ref=r.version.ref,
            template=r.version.template,
            agent=agent,
            user_id=user_id,
            declared=tuple(r.version.variables),
            values=values,
            model=r.version.model.overrides(),
            prompt_id=r.version.id,
            version=r.version.version,
            label=r.label,
            arm=r.arm,
        )

    def render(
        self,
        prompt_id: str,
        variables: Mapping[str, Any],
        *,
        version: int | None = None,
        label: str | None = None,
        user_id: str = "anonymous",
    ) -> tuple[str, PromptUse]:
        """Render a version (by number, by label for ``user_id``, or the latest) with sample values.
        Values for names the version does not declare are an error here (a typo, not a value)."""
        from mastra.prompts.render import render

        if version is not None and label is not None:
            raise InvalidRequestError("give version or label, not both")
        if label is not None:
            r = self.resolve(f"{prompt_id}@{label}", user_id=user_id)
        else:
            r = Resolved(self.get(prompt_id, version or self.versions(prompt_id)[-1].version))
        values = dict(variables)
        builtins: dict[str, Any] = {
            "agent": {"id": prompt_id, "name": prompt_id, "description": ""},
            "user_id": user_id,
            "today": dt.date.today().isoformat(),
            "working_memory": {},
            "summary": "",
            "recalled": [],
        }
        builtins.update({k: values.pop(k) for k in list(values) if k in BUILTIN_VARIABLES})
        text = render(r.version.template, r.version.variables, values, builtins, allow_extra=False)
        use = PromptUse(ref=r.version.ref, prompt_id=prompt_id, version=r.version.version, label=r.label, arm=r.arm)
        return text, use


def inline_choice(spec: AgentSpec, *, user_id: str) -> PromptChoice:
    """The choice for a spec with an inline ``prompt.system`` (checked when the spec was loaded)."""
    if spec.prompt.system is None:
        raise InvalidRequestError(f"agent {spec.id!r} names prompt {spec.prompt.ref!r}: resolve it with the registry")
    values = dict(spec.prompt.variables)
    return PromptChoice(
        ref=f"inline:{spec.id}",
        template=spec.prompt.system,
        agent={"id": spec.id, "name": spec.name, "description": spec.description},
        user_id=user_id,
        declared=tuple(Variable(name=k, type=_type_of(v)) for k, v in values.items()),
        values=values,
    )
