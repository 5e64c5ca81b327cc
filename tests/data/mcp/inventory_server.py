"""A tiny MCP server for the MCP client tests: run over stdio (`python inventory_server.py`) or in-process."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("inventory")


@server.tool()
def stock(sku: str) -> dict[str, object]:
    """Units in stock for a SKU."""
    if sku == "missing":
        raise ToolError("unknown sku 'missing'")
    return {"sku": sku, "units": 7}


@server.tool()
def reset_inventory() -> str:
    """Dangerous: not on the agents' allow-list."""
    return "reset"


if __name__ == "__main__":
    server.run()
