"""A reference HTTP agent (webhook) for Mastra's ``mastra.agent/v1`` contract, standard library only.

It verifies ``Mastra-Signature`` on the raw body before reading it (401 otherwise), then answers.
Run: ``python server.py SECRET_FILE [PORT]`` and point an agent's ``webhook.url`` at it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOLERANCE_S = 300


def verify(secret: bytes, body: bytes, header: str, tolerance_s: float = TOLERANCE_S) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t, given = int(parts["t"]), parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance_s:
        return False
    expected = hmac.new(secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, expected)


def answer(request: dict[str, Any]) -> dict[str, Any]:
    message = str(request.get("message", "")).lower()
    if "ship" in message:
        return {"answer": "We ship to 40 countries; delivery takes 3-7 days.", "sources": ["shipping"]}
    return {"answer": "I only know about shipping.", "stop_reason": "no_match"}


def make_server(secret: bytes, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not verify(secret, body, self.headers.get("Mastra-Signature", "")):
                return self._send(401, {"error": "invalid signature"})
            try:
                request = json.loads(body)
            except json.JSONDecodeError:
                return self._send(400, {"error": "body is not JSON"})
            if request.get("version") != "mastra.agent/v1":
                return self._send(400, {"error": "unsupported contract"})
            self._send(200, answer(request))

        def _send(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    server = make_server(Path(sys.argv[1]).read_bytes().strip(), int(sys.argv[2]) if len(sys.argv) > 2 else 8787)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/")
    server.serve_forever()
