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


#: Where a secret lives: ``ssm:/path`` (SSM Parameter Store, decrypted), ``secretsmanager:name``
#: (Secrets Manager), or ``file:/path`` (local development only; refused on Lambda).
SecretRef = Annotated[
    str, StringConstraints(pattern=r"^(ssm:/[A-Za-z0-9_.\-/]+|secretsmanager:[A-Za-z0-9/_+=.@\-]+|file:.+)$")
]
ProviderName = Literal["retrieval", "bedrock", "openai", "sagemaker", "fake"]


class RetrySettings(_Strict):
    """Retries of one model call on throttling (HTTP 429, ThrottlingException, 5xx), with exponential
    backoff and full jitter, never past the agent's time budget."""

    max_attempts: int = Field(3, ge=1, le=10, description="Attempts per call, the first included.")
    base_delay_s: float = Field(0.25, gt=0, le=30, description="Backoff before the 2nd attempt (doubles each time).")
    max_delay_s: float = Field(4.0, gt=0, le=120, description="Longest backoff between two attempts.")


class ModelTarget(_Strict):
    """One model: which provider, which model id, and how to reach it."""

    provider: ProviderName = Field(
        "retrieval",
        description="retrieval: offline model answering from the agent's knowledge base; bedrock: Amazon "
        "Bedrock Converse; openai: any OpenAI-compatible chat completions endpoint; sagemaker: a SageMaker "
        "endpoint (invoke_endpoint); fake: instant canned reply.",
    )
    model_id: str = Field("tfidf-v1", min_length=1, description="Provider's model id (sagemaker: the endpoint name).")
    temperature: float = Field(0.2, ge=0, le=2)
    max_tokens: int = Field(512, ge=1, le=200_000)
    base_url: str | None = Field(None, description="Endpoint for openai-compatible providers.")
    region: str | None = Field(None, description="AWS region for bedrock/sagemaker (default: the environment's).")
    api_key_secret: SecretRef | None = Field(
        None,
        description="Where the API key lives: ssm:/name (Parameter Store), secretsmanager:name, or file:/path "
        "(local development only). Read through Powertools Parameters and cached.",
    )
    api_key_env: str | None = Field(
        None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Local development only: environment variable holding the API key. Refused on Lambda, "
        "where keys come from api_key_secret.",
    )
    payload_format: Literal["messages", "tgi"] = Field(
        "messages",
        description="sagemaker: the endpoint's JSON shape. messages: OpenAI-style {messages, max_tokens...} "
        "(TGI Messages API, LMI, vLLM containers); tgi: {inputs, parameters} text generation.",
    )


class ModelSettings(ModelTarget):
    """Which model answers for the agent, and how; ``fallbacks`` are tried in order when it fails."""

    retry: RetrySettings = Field(default_factory=RetrySettings)
    fallbacks: list[ModelTarget] = Field(
        default_factory=list,
        max_length=5,
        description="Models tried in order when the one before fails (error, timeout, throttling after its "
        "retries). After the last, the agent answers offline (see offline_fallback).",
    )
    offline_fallback: bool = Field(
        True,
        description="With fallbacks or a remote agent: when every model failed, answer offline from the "
        "knowledge base (or with knowledge.no_answer) instead of failing the attempt.",
    )


class LambdaAgentTarget(_Strict):
    """A Lambda agent: another function answers (request/response contract ``mastra.agent/v1``)."""

    function_name: str = Field(
        min_length=1,
        max_length=170,
        pattern=r"^[A-Za-z0-9:_\-]+$",
        description="Function name or ARN (must match the LambdaAgentPrefix the template grants).",
    )
    qualifier: str | None = Field(None, description="Version or alias.")


class HttpAgentTarget(_Strict):
    """An HTTP agent: a webhook answers (contract ``mastra.agent/v1``, body signed with Mastra-Signature)."""

    url: str = Field(pattern=r"^https?://", description="The webhook; POSTed the signed JSON request.")
    signing_secret: SecretRef = Field(description="The HMAC secret the webhook verifies Mastra-Signature with.")


class McpServer(_Strict):
    """An MCP server whose tools the agent may call (offered to the model as ``<name>__<tool>``)."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{0,23}$")] = Field(
        description="Short name, the prefix of its tools' names (letters and digits: `__` separates the tool)."
    )
    url: str | None = Field(None, pattern=r"^https?://", description="Streamable HTTP endpoint of the server.")
    command: list[str] | None = Field(
        None, min_length=1, description="Or: a command that runs the server over stdio (local development)."
    )
    tools: list[str] | None = Field(None, description="Only these of the server's tools (default: all).")
    timeout_s: float = Field(10.0, gt=0, le=60, description="Longest wait for one MCP request.")

    @model_validator(mode="after")
    def _one_transport(self) -> McpServer:
        if (self.url is None) == (self.command is None):
            raise ValueError("give exactly one of url and command")
        return self


class ExternalTool(_Strict):
    """A tool another system runs: an HTTP API (``url``) or a Lambda function (``function_name``).

    The arguments the model gives are validated against ``input_schema`` before the call; the reply
    must be a JSON object (``{"text": ..., "data": {...}}`` or any object). Failures become tool
    errors the model sees, never failed requests.
    """

    name: Identifier
    description: Text
    input_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the arguments (an object schema).",
    )
    url: str | None = Field(None, pattern=r"^https?://", description="POSTed the arguments as JSON.")
    function_name: str | None = Field(None, min_length=1, max_length=170, pattern=r"^[A-Za-z0-9:_\-]+$")
    signing_secret: SecretRef | None = Field(None, description="HTTP tools: sign the body (Mastra-Signature).")
    timeout_s: float = Field(5.0, gt=0, le=60)

    @model_validator(mode="after")
    def _one_target(self) -> ExternalTool:
        if (self.url is None) == (self.function_name is None):
            raise ValueError("give exactly one of url and function_name")
        if self.input_schema.get("type") != "object":
            raise ValueError("input_schema must be an object schema (type: object)")
        from mastra.tools.external import compile_schema

        compile_schema(self.input_schema)  # raises ValueError if it is not a valid JSON Schema
        return self


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
    kind: Literal["model", "lambda", "http"] = Field(
        "model",
        description="model: a model-provider loop with tools; lambda: another Lambda function answers "
        "(`function`); http: a webhook answers (`webhook`). Contract: mastra.agent/v1.",
    )
    function: LambdaAgentTarget | None = Field(None, description="kind: lambda - the function that answers.")
    webhook: HttpAgentTarget | None = Field(None, description="kind: http - the webhook that answers.")
    fallback: bool = Field(False, description="Answers requests no agent fits. Exactly one agent has it.")
    capabilities: list[Capability] = Field(default_factory=list)
    examples: list[Text] = Field(default_factory=list, description="Extra example utterances.")
    model: ModelSettings = Field(default_factory=ModelSettings)
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    tools: list[Identifier] = Field(default_factory=list, description="Names of built-in tools.")
    external_tools: list[ExternalTool] = Field(
        default_factory=list, description="Tools that call HTTP APIs or Lambda functions."
    )
    mcp_servers: list[McpServer] = Field(
        default_factory=list, description="MCP servers whose tools the agent may call (needs mastra[mcp])."
    )
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

    @field_validator("external_tools")
    @classmethod
    def _unique_external_tools(cls, tools: list[ExternalTool]) -> list[ExternalTool]:
        names = [t.name for t in tools]
        if len(set(names)) != len(names):
            raise ValueError("an external tool name is used twice")
        return tools

    @model_validator(mode="after")
    def _kind_target(self) -> AgentSpec:
        if (self.kind == "lambda") != (self.function is not None):
            raise ValueError("kind 'lambda' needs `function`, and only it may have one")
        if (self.kind == "http") != (self.webhook is not None):
            raise ValueError("kind 'http' needs `webhook`, and only it may have one")
        clash = set(self.tools) & {t.name for t in self.external_tools}
        if clash:
            raise ValueError(f"external_tools {sorted(clash)} clash with built-in tools of the same name")
        return self

    @model_validator(mode="after")
    def _can_answer(self) -> AgentSpec:
        if self.kind == "model" and self.model.provider == "retrieval" and not (self.knowledge.passages or self.tools):
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
