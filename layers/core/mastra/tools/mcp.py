"""Tools exposed by MCP servers, through the official ``mcp`` client (``pip install 'mastra[mcp]'``).

An agent lists servers in ``mcp_servers`` (a Streamable HTTP ``url``, or a stdio ``command``); their
tools are listed once (then cached) and offered to the model as ``<server>__<tool>``. Each call
opens a session, calls the tool and closes it: agents run in short-lived Lambda invocations and
worker threads, where a long-lived session would outlive its event loop. A tool the server reports
as an error, a timeout or an unreachable server becomes a :class:`~mastra.errors.ToolError` the
model sees, never a failed request.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from mastra.errors import ToolError
from mastra.providers.base import ToolSpec
from mastra.tools.base import ToolOutput

if TYPE_CHECKING:
    from mastra.spec.models import McpServer

logger = logging.getLogger(__name__)
T = TypeVar("T")
SEPARATOR = "__"


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, even when this thread already runs a loop."""
    import anyio

    async def main() -> T:
        return await make()

    try:
        import asyncio

        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(main)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, main).result()


class McpToolset:
    """The tools of one MCP server. ``target`` overrides the connection (tests pass an in-process server)."""

    def __init__(self, server: McpServer, target: Any | None = None) -> None:
        self.server = server
        self.target = target
        self._specs: list[ToolSpec] | None = None
        self._lock = threading.Lock()

    def _client(self) -> Any:
        try:
            from mcp import Client
            from mcp.client.stdio import StdioServerParameters
        except ImportError:
            raise ToolError("MCP tools need the mcp package: pip install 'mastra[mcp]'") from None
        target = self.target
        if target is None:
            if self.server.url is not None:
                target = self.server.url
            else:
                assert self.server.command
                target = StdioServerParameters(command=self.server.command[0], args=self.server.command[1:])
        return Client(target, read_timeout_seconds=self.server.timeout_s, mode="legacy")

    def prefixed(self, tool: str) -> str:
        return f"{self.server.name}{SEPARATOR}{tool}"

    def specs(self) -> list[ToolSpec]:
        """The server's tools (the allow-list's, if the spec gives one), listed once."""
        if self._specs is None:
            with self._lock:
                if self._specs is None:
                    self._specs = self._list()
        return self._specs

    def _list(self) -> list[ToolSpec]:
        async def go() -> Any:
            async with self._client() as client:
                return await client.list_tools()

        try:
            listed = _run(go)
        except ToolError:
            raise
        except Exception as exc:
            raise ToolError(
                f"MCP server {self.server.name!r}: cannot list tools ({type(exc).__name__}: {exc})"
            ) from None
        allowed = set(self.server.tools) if self.server.tools is not None else None
        return [
            ToolSpec(
                name=self.prefixed(t.name),
                description=(t.description or t.name)[:1000],
                input_schema=dict(t.input_schema or {"type": "object", "properties": {}}),
            )
            for t in listed.tools
            if allowed is None or t.name in allowed
        ]

    def call(self, name: str, arguments: dict[str, Any]) -> ToolOutput:
        """Call the tool ``name`` (without the server prefix)."""
        if self.server.tools is not None and name not in self.server.tools:
            raise ToolError(f"MCP tool {name!r} is not allowed for this agent")

        async def go() -> Any:
            async with self._client() as client:
                return await client.call_tool(name, arguments)

        try:
            result = _run(go)
        except ToolError:
            raise
        except Exception as exc:
            raise ToolError(f"MCP server {self.server.name!r}: {name} failed ({type(exc).__name__}: {exc})") from None
        text = "\n".join(block.text for block in result.content if getattr(block, "type", None) == "text")
        if result.is_error:
            raise ToolError(f"{self.prefixed(name)}: {text or 'the tool reported an error'}")
        data = result.structured_content if isinstance(result.structured_content, dict) else {}
        if not data and text.lstrip().startswith("{"):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            data = parsed if isinstance(parsed, dict) else {}
        return ToolOutput(text=text or json.dumps(data)[:2000], data=data)


class McpTools:
    """Every agent's MCP toolsets, by server name, built on first use."""

    def __init__(self, targets: dict[str, Any] | None = None) -> None:
        self.targets = dict(targets or {})
        self._sets: dict[tuple[str, str], McpToolset] = {}
        self._lock = threading.Lock()

    def toolset(self, agent_id: str, server: McpServer) -> McpToolset:
        key = (agent_id, server.name)
        with self._lock:
            toolset = self._sets.get(key)
            if toolset is None:
                toolset = self._sets[key] = McpToolset(server, self.targets.get(server.name))
        return toolset

    def specs(self, agent_id: str, servers: list[McpServer]) -> list[ToolSpec]:
        """The tools of every server; a server that cannot be listed is left out (and logged)."""
        out: list[ToolSpec] = []
        for server in servers:
            try:
                out.extend(self.toolset(agent_id, server).specs())
            except ToolError as exc:
                logger.warning("MCP tools unavailable", extra={"agent_id": agent_id, "error": exc.message})
        return out

    def find(self, agent_id: str, servers: list[McpServer], name: str) -> tuple[McpToolset, str] | None:
        """The toolset and bare tool name for a prefixed ``name``, if it is one of these servers'."""
        server_name, sep, tool = name.partition(SEPARATOR)
        if not sep:
            return None
        server = next((s for s in servers if s.name == server_name), None)
        return (self.toolset(agent_id, server), tool) if server is not None else None
