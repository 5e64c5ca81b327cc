"""MCP tools through the official client: an in-process server, and the same server over stdio."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mastra.agents.executor import AgentExecutor
from mastra.errors import ToolError
from mastra.providers.base import ChatMessage, CompletionRequest, CompletionResponse, ModelProvider, ToolCall
from mastra.spec.models import AgentSpec, McpServer
from mastra.tools.mcp import McpTools, McpToolset

SERVER = Path(__file__).resolve().parents[1] / "data" / "mcp" / "inventory_server.py"


@pytest.fixture(scope="module")
def inproc() -> Any:
    sys.path.insert(0, str(SERVER.parent))
    try:
        import inventory_server

        return inventory_server.server
    finally:
        sys.path.remove(str(SERVER.parent))


def config(**kw: Any) -> McpServer:
    return McpServer(name="inv", command=[sys.executable, str(SERVER)], **kw)


def test_tools_are_listed_with_the_server_prefix_and_the_allow_list(inproc: Any) -> None:
    assert {t.name for t in McpToolset(config(), inproc).specs()} == {"inv__stock", "inv__reset_inventory"}
    specs = McpToolset(config(tools=["stock"]), inproc).specs()
    assert [t.name for t in specs] == ["inv__stock"]
    assert specs[0].input_schema["required"] == ["sku"] and specs[0].description == "Units in stock for a SKU."


def test_a_call_returns_text_and_data_and_errors_are_tool_errors(inproc: Any) -> None:
    toolset = McpToolset(config(tools=["stock"]), inproc)
    out = toolset.call("stock", {"sku": "A1"})
    assert out.data == {"sku": "A1", "units": 7}
    with pytest.raises(ToolError, match="unknown sku"):
        toolset.call("stock", {"sku": "missing"})
    with pytest.raises(ToolError, match="not allowed"):
        toolset.call("reset_inventory", {})


class AsksStock(ModelProvider):
    name = "scripted"

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        last = request.messages[-1]
        if last.role == "tool":
            return CompletionResponse(
                message=ChatMessage(role="assistant", content=str(last.tool_results[0].content["text"]))
            )
        assert "inv__stock" in [t.name for t in request.tools]
        call = ToolCall(id="c1", name="inv__stock", arguments={"sku": "B2"})
        return CompletionResponse(message=ChatMessage(role="assistant", tool_calls=[call]), stop_reason="tool_use")


def test_the_agent_loop_calls_an_mcp_tool_over_stdio() -> None:
    spec = AgentSpec.model_validate(
        {
            "id": "stockist",
            "name": "Stockist",
            "description": "stock levels",
            "model": {"provider": "fake"},
            "mcp_servers": [{"name": "inv", "command": [sys.executable, str(SERVER)], "tools": ["stock"]}],
        }
    )
    run = AgentExecutor(lambda _: AsksStock(), mcp_tools=McpTools()).run(
        spec, message="how many B2?", history=[], user_id="u", request_id="r"
    )
    assert '"units": 7' in run.answer
    assert run.tool_calls[0]["name"] == "inv__stock" and run.tool_calls[0]["result"]["data"]["units"] == 7


def test_an_unreachable_server_leaves_its_tools_out_and_the_agent_answers() -> None:
    tools = McpTools()
    dead = McpServer(name="dead", url="http://127.0.0.1:9/mcp", timeout_s=2)
    assert tools.specs("a", [dead]) == []


def test_server_declarations_need_one_transport() -> None:
    with pytest.raises(ValueError, match="exactly one of url and command"):
        McpServer(name="x")
    with pytest.raises(ValueError, match="exactly one of url and command"):
        McpServer(name="x", url="http://h/mcp", command=["srv"])
