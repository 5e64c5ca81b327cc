"""A scripted JSON server on loopback: replies in order, records every request (body and headers)."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int
    body: Any
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class JsonServer:
    url: str = ""
    replies: deque[Scripted] = field(default_factory=deque)
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    #: The reply once the script has run out (None: a 500 saying so).
    default: Scripted | None = None
    #: Called with (raw body, headers) before a scripted reply; a non-None result is sent instead.
    check: Callable[[bytes, dict[str, str]], Scripted | None] | None = None
    release: threading.Event = field(default_factory=threading.Event)

    def reply(self, body: Any, status: int = 200, delay_s: float = 0.0, headers: dict[str, str] | None = None) -> None:
        self.replies.append(Scripted(status, body, delay_s, headers or {}))

    @property
    def requests(self) -> list[Any]:
        return [json.loads(b) for b in self.bodies]


def _handler(server: JsonServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.bodies.append(raw)
            server.headers.append(headers)
            server.paths.append(self.path)
            verdict = server.check(raw, headers) if server.check else None
            fallback = server.default or Scripted(500, {"error": {"message": "no scripted reply left"}})
            reply = verdict or (server.replies.popleft() if server.replies else fallback)
            if reply.delay_s:
                server.release.wait(reply.delay_s)
            data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def json_server(path: str = "/") -> Iterator[JsonServer]:
    fake = JsonServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}{path}"
    try:
        yield fake
    finally:
        fake.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
