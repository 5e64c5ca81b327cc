"""A reference Lambda agent: answers Mastra's ``mastra.agent/v1`` requests (see the README).

Deploy it as a function whose name starts with the stack's LambdaAgentPrefix (e.g.
``mastra-agent-billing``) and declare ``kind: lambda`` with ``function.function_name`` in the spec.
Standard library only.
"""

from __future__ import annotations

from typing import Any

BALANCES = {"alice": "12.40 EUR", "bob": "0.00 EUR"}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("version") != "mastra.agent/v1":
        # An explicit error: Mastra records it and falls back (it is not retried).
        return {"error": f"unsupported contract {event.get('version')!r}"}
    message = str(event.get("message", "")).lower()
    user = str(event.get("user_id", ""))
    if "balance" in message:
        balance = BALANCES.get(user)
        if balance is None:
            return {"answer": "I can't find an account for you.", "stop_reason": "no_match"}
        return {"answer": f"Your balance is {balance}.", "sources": ["ledger"], "model_id": "billing-rules-v1"}
    return {"answer": "I can help with balances and invoices.", "stop_reason": "no_match"}
