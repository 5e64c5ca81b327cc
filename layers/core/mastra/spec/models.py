"""The agent specification schema.

Agents are declared in YAML or JSON files validated by :class:`AgentSpec`; ``mastra schema``
prints its JSON Schema. Unknown keys are errors, so a typo never silently turns a setting off.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
PassageId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    # defer_build: validators are built on first validation, i.e. only when spec files are parsed.
    # A start from the compiled-agent cache never validates a spec and saves ~10 ms of cold start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Capability(_Strict):
    """A sub-topic the agent handles. In a spec file a bare string is shorthand for ``{name: ...}``."""

    name: Identifier
    description: str = ""
    examples: list[Text] = Field(default_factory=list, description="User utterances of this sub-topic.")

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @property
    def label(self) -> str:
        """The name in plain words (``pay_bill`` -> ``pay bill``)."""
        return self.name.replace("_", " ")


class ModelSettings(_Strict):
    """Which model answers for the agent, and how."""

    provider: Literal["retrieval", "bedrock", "openai", "fake"] = Field(
        "retrieval",
        description="retrieval: offline model answering from the agent's knowledge base; bedrock: Amazon "
        "Bedrock Converse; openai: any OpenAI-compatible chat completions endpoint; fake: instant canned reply.",
    )
    model_id: str = Field("tfidf-v1", min_length=1, description="Provider's model id.")
    temperature: float = Field(0.2, ge=0, le=2)
    max_tokens: int = Field(512, ge=1, le=200_000)
    base_url: str | None = Field(None, description="Endpoint for openai-compatible providers.")
    region: str | None = Field(None, description="AWS region for bedrock (default: the environment's).")
    api_key_env: str | None = Field(
        None, pattern=r"^[A-Z_][A-Z0-9_]*$", description="Environment variable holding the API key."
    )


DEFAULT_SYSTEM_PROMPT = "You are {{ agent.name }}. {{ agent.description }}"


class PromptSpec(_Strict):
    """The system prompt: a version from the prompt registry (``ref``) or an inline template (``system``).

    Give at most one of ``ref`` and ``system``; with neither, ``system`` is a one-line default.
    ``ref`` is ``<prompt id>@<label>`` (``banking@production``: the label's version, re-read within
    ``MASTRA_PROMPT_TTL_S``, may split traffic A/B) or ``<prompt id>@<version>`` (pinned). A ref is
    checked when it is resolved, on the request; an inline template when the spec is loaded.
    Templates are Jinja2 in a sandbox; they may use the built-ins ``agent`` (id, name, description),
    ``user_id``, ``today``, ``working_memory``, ``summary`` and ``recalled``, and the variables the
    prompt version declares (inline: the keys of ``variables``). ``variables`` are static values
    passed to the template either way.
    """

    ref: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9_-]*@([A-Za-z][A-Za-z0-9_-]*|[0-9]+)$",
        description="Prompt registry reference: <id>@<label> or <id>@<version>.",
    )
    system: str | None = Field(None, min_length=1, description="Inline Jinja2 template (instead of ref).")
    variables: dict[Identifier, str | int | float | bool | list[Any] | dict[str, Any]] = Field(
        default_factory=dict, description="Static values passed to the template."
    )

    @model_validator(mode="before")
    @classmethod
    def _default_system(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("ref") is None and value.get("system") is None:
            return {**value, "system": DEFAULT_SYSTEM_PROMPT}
        return value

    @model_validator(mode="after")
    def _one_source(self) -> PromptSpec:
        if self.ref is not None and self.system is not None:
            raise ValueError("give prompt.ref or prompt.system, not both")
        return self


class RecallSettings(_Strict):
    """Semantic recall: earlier messages most similar to the request join the context."""

    top_k: int = Field(3, ge=0, le=20, description="How many earlier messages to recall (0: off).")
    scope: Literal["thread", "user"] = Field(
        "user", description="Search this thread only, or every thread of the user (never another user's)."
    )
    neighbours: int = Field(1, ge=0, le=5, description="Messages either side of each hit that come with it.")
    min_score: float = Field(0.5, ge=-1, le=1, description="Cosine similarity a message needs to be recalled.")


class WorkingMemoryField(_Strict):
    """One field of the user's profile."""

    type: Literal["string", "integer", "number", "boolean", "list"] = "string"
    description: str = ""
    patterns: list[str] = Field(
        default_factory=list,
        description="Regular expressions (case-insensitive) with a named group `value`: when one matches a user "
        "message, the field is set to the value (a list field gets the value added). The offline extractor.",
    )

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        import re

        for p in patterns:
            try:
                compiled = re.compile(p)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} does not compile: {exc}") from None
            if "value" not in compiled.groupindex:
                raise ValueError(f"pattern {p!r} has no named group `value`")
        return patterns


class SummarySettings(_Strict):
    after_messages: int = Field(
        40, ge=4, le=10_000, description="Summarise once this many messages sit older than the history window."
    )
    sentences: int = Field(8, ge=1, le=50, description="Longest summary, in sentences.")


class MemorySettings(_Strict):
    history_messages: int = Field(10, ge=0, le=200, description="Last N thread messages given to the model.")
    recall: RecallSettings = Field(default_factory=RecallSettings)
    working: dict[Identifier, WorkingMemoryField] = Field(
        default_factory=dict,
        description="The user's profile fields this agent reads and maintains (shared by all agents: a field "
        "declared by two agents must have the same type).",
    )
    summary: SummarySettings = Field(default_factory=SummarySettings)


class Passage(_Strict):
    """One entry of an agent's knowledge base."""

    id: PassageId
    title: Text
    text: Text
    capability: Identifier | None = Field(
        None,
        description="The capability this passage answers; its examples then help find the passage. "
        "Defaults to the capability named like the passage id, if there is one.",
    )
    questions: list[Text] = Field(
        default_factory=list, description="Ways users ask for this passage (FAQ variants); they help find it."
    )


class KnowledgeBase(_Strict):
    no_answer: str = Field(
        "I couldn't find that in my notes.", description="Reply of the offline model when nothing matches."
    )
    passages: list[Passage] = Field(default_factory=list)

    @field_validator("passages")
    @classmethod
    def _unique_ids(cls, passages: list[Passage]) -> list[Passage]:
        seen: set[str] = set()
        for p in passages:
            if p.id in seen:
                raise ValueError(f"duplicate passage id {p.id!r}")
            seen.add(p.id)
        return passages


class AgentSpec(_Strict):
    """An agent: what it handles (used for routing), how it answers, and its limits."""

    id: Identifier = Field(description="Stable id; in labelled data the agent's label.")
    name: Text
    description: Text = Field(description="What the agent handles, in a sentence or two (used for routing).")
    kind: Literal["model"] = Field(
        "model", description="model: a model-provider loop with tools. Later kinds: lambda, http."
    )
    fallback: bool = Field(False, description="Answers requests no agent fits. Exactly one agent has it.")
    capabilities: list[Capability] = Field(default_factory=list)
    examples: list[Text] = Field(default_factory=list, description="Extra example utterances.")
    model: ModelSettings = Field(default_factory=ModelSettings)
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    tools: list[Identifier] = Field(default_factory=list, description="Names of built-in tools.")
    memory: MemorySettings = Field(default_factory=MemorySettings)
    timeout_s: float = Field(10.0, gt=0, le=900)
    cost_tier: Literal["free", "low", "medium", "high"] = "low"
    tags: list[Identifier] = Field(default_factory=list)
    knowledge: KnowledgeBase = Field(default_factory=KnowledgeBase)

    @field_validator("capabilities")
    @classmethod
    def _unique_capabilities(cls, caps: list[Capability]) -> list[Capability]:
        names = [c.name for c in caps]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate capability names {dupes}")
        return caps

    @field_validator("tools")
    @classmethod
    def _unique_tools(cls, tools: list[str]) -> list[str]:
        if len(set(tools)) != len(tools):
            raise ValueError("a tool is listed twice")
        return tools

    @model_validator(mode="after")
    def _known_capabilities(self) -> AgentSpec:
        names = {c.name for c in self.capabilities}
        for i, p in enumerate(self.knowledge.passages):
            if p.capability is not None and p.capability not in names:
                raise ValueError(
                    f"knowledge.passages[{i}].capability: {p.capability!r} is not one of this agent's capabilities"
                )
        return self

    @model_validator(mode="after")
    def _can_answer(self) -> AgentSpec:
        if self.model.provider == "retrieval" and not (self.knowledge.passages or self.tools):
            raise ValueError("a 'retrieval' agent needs knowledge.passages or tools to answer from")
        return self

    def passage_questions(self) -> dict[str, list[str]]:
        """Passage id -> how users ask for it: its title and questions, and its capability's
        description and examples."""
        caps = {c.name: c for c in self.capabilities}
        out: dict[str, list[str]] = {}
        for p in self.knowledge.passages:
            asked = [p.title, *p.questions]
            cap = caps.get(p.capability or p.id)
            if cap is not None:
                asked += ([cap.description] if cap.description else []) + cap.examples
            out[p.id] = asked
        return out

    def routing_texts(self) -> list[str]:
        """Every text that says what the agent handles (one router training row each): name and
        description, capabilities and their examples, and the questions its passages answer."""
        texts = [f"{self.name}. {self.description}"]
        for cap in self.capabilities:
            texts.append(f"{cap.label}. {cap.description}" if cap.description else cap.label)
            texts.extend(cap.examples)
        texts.extend(self.examples)
        texts.extend(q for p in self.knowledge.passages for q in p.questions)
        return texts
