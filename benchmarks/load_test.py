"""A bounded load test of ``mastra serve`` on loopback: concurrent clients, realistic mixed traffic.

Starts ``python -m mastra serve`` (uvicorn, one process) on a free loopback port with a fresh
``MASTRA_HOME``, then runs ``--clients`` concurrent clients (httpx, asyncio) for ``--duration``
seconds. Each client is one user: it starts threads and continues them, rates its answers, and
reads its threads, messages, the statistics and the agents. Reports throughput, latency
percentiles per endpoint and overall, and errors (any non-2xx response or transport error; there
must be none). Prints a table; writes JSON to ``--out`` or ``$BENCH_OUT``. Exit status 1 on errors.

    python benchmarks/load_test.py                       # 32 clients, 60 s
    python benchmarks/load_test.py --clients 4 --duration 2 --out /tmp/load.json
    python benchmarks/load_test.py --url http://127.0.0.1:8080 --key "$KEY"   # a server already running

When the API requires a key, pass ``--key`` (or ``MASTRA_API_KEY``); otherwise an admin key is made
with ``mastra keys create`` in the server's data dir, if that command exists.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

# Used when the CLINC150 set is not there: everyday requests across the example agents' domains.
MESSAGES = [
    "how do i transfer money to my savings account",
    "what's my checking balance",
    "book me a flight to Lisbon next friday",
    "is my flight to Boston on time",
    "what is 17 times 23",
    "convert 30 celsius to fahrenheit",
    "set a timer for 10 minutes",
    "what's the weather like tomorrow",
    "how do i freeze my credit card",
    "my card was declined at the store, why",
    "find me a recipe for vegetarian lasagna",
    "how many calories are in an apple",
    "remind me to call mom at 6",
    "what time is it in Tokyo",
    "tell me a joke",
    "how do i change my car's oil",
]
FOLLOW_UPS = ["and then?", "can you say more", "thanks, what else should i know", "how long does that take"]
COMMENTS = ["great, thanks", "that did not help at all", "ok", "perfect answer", "not what i asked"]


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def messages(n: int = 2000) -> list[str]:
    try:
        sys.path.insert(0, str(REPO))
        from benchmarks.benchlib import clinc_messages

        return clinc_messages(n, seed=7)
    except (ImportError, OSError):
        return MESSAGES


@dataclass
class Results:
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    answers: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # how chats were answered

    def add(self, endpoint: str, ms: float, status: int | str, error: str | None = None) -> None:
        self.latency_ms[endpoint].append(ms)
        self.statuses[endpoint][str(status)] += 1
        if error is not None:
            self.errors[endpoint].append(error)


class Client:
    """One user: a conversation at a time, sometimes a new one; rates answers; reads its data."""

    def __init__(self, n: int, http: Any, results: Results, texts: list[str], seed: int) -> None:
        self.user = f"load-user-{n}"
        self.http = http
        self.results = results
        self.texts = texts
        self.rng = random.Random(seed)
        self.thread_id: str | None = None
        self.last_request: str | None = None

    async def call(self, endpoint: str, method: str, url: str, **kwargs: Any) -> dict[str, Any] | None:
        started = time.perf_counter()
        try:
            r = await self.http.request(method, url, **kwargs)
        except Exception as exc:  # a transport error is an error, counted, never fatal to the run
            self.results.add(endpoint, (time.perf_counter() - started) * 1000, "transport", f"{type(exc).__name__}")
            return None
        ms = (time.perf_counter() - started) * 1000
        ok = 200 <= r.status_code < 300
        self.results.add(endpoint, ms, r.status_code, None if ok else f"{r.status_code} {r.text[:200]}")
        return r.json() if ok else None

    def count_answer(self, out: dict[str, Any]) -> None:
        executions = out.get("trace", {}).get("executions") or [{}]
        cached = bool((executions[0].get("cache") or {}).get("hit"))
        self.results.answers["from the answer cache" if cached else "through the pipeline"] += 1
        self.results.answers["by the fallback agent" if out.get("agent") == "fallback" else "by a routed agent"] += 1

    async def step(self) -> None:
        roll = self.rng.random()
        if self.thread_id is None or roll < 0.30:
            body = {"message": self.rng.choice(self.texts), "user_id": self.user}
            out = await self.call("POST /v1/chat (new thread)", "POST", "/v1/chat", json=body)
            if out:
                self.thread_id, self.last_request = out["thread_id"], out["request_id"]
                self.count_answer(out)
        elif roll < 0.55:
            text = self.rng.choice(FOLLOW_UPS + self.texts[:50])
            body = {"message": text, "user_id": self.user, "thread_id": self.thread_id}
            out = await self.call("POST /v1/chat (continued)", "POST", "/v1/chat", json=body)
            if out:
                self.last_request = out["request_id"]
                self.count_answer(out)
        elif roll < 0.67 and self.last_request:
            body: dict[str, Any] = {"request_id": self.last_request, "user_id": self.user}
            body["thumbs"] = self.rng.choice(["up", "down"])
            if self.rng.random() < 0.5:
                body["rating"] = self.rng.randint(1, 5)
            if self.rng.random() < 0.3:
                body["comment"] = self.rng.choice(COMMENTS)
            await self.call("POST /v1/feedback", "POST", "/v1/feedback", json=body)
        elif roll < 0.77:
            await self.call("GET /v1/threads", "GET", "/v1/threads", params={"user_id": self.user, "limit": 20})
        elif roll < 0.87:
            await self.call("GET /v1/threads/{id}/messages", "GET", f"/v1/threads/{self.thread_id}/messages")
        elif roll < 0.92 and self.last_request:
            await self.call("GET /v1/feedback/{id}", "GET", f"/v1/feedback/{self.last_request}")
        elif roll < 0.96:
            await self.call("GET /v1/stats", "GET", "/v1/stats", params={"window": "1h"})
        else:
            await self.call("GET /v1/agents", "GET", "/v1/agents")

    async def run(self, until: float) -> None:
        while time.perf_counter() < until:
            await self.step()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, MASTRA_HOME=str(home))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "layers" / "core"), str(REPO), env.get("PYTHONPATH", "")])
    return env


def make_key(env: dict[str, str]) -> str | None:
    """An admin key from ``mastra keys create`` in the server's data dir (None if there is no such command)."""
    cli = [sys.executable, "-m", "mastra", "keys", "create"]
    helped = subprocess.run([*cli, "--help"], env=env, capture_output=True, text=True, timeout=60)
    if helped.returncode != 0:
        return None
    args = list(cli)
    usage = helped.stdout
    if "--json" in usage:
        args.append("--json")
    if "--scopes" in usage:
        args += ["--scopes", "admin"]
    elif "--scope" in usage:
        args += ["--scope", "admin"]
    if "--name" in usage:
        args += ["--name", "load-test"]
    made = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        raise SystemExit(f"`mastra keys create` failed: {made.stderr.strip()}")
    try:
        out = json.loads(made.stdout)
        for name in ("key", "secret", "api_key", "token"):
            if isinstance(out.get(name), str):
                return str(out[name])
    except (ValueError, AttributeError):
        pass
    words = re.findall(r"[A-Za-z0-9_\-.]{24,}", made.stdout)
    return max(words, key=len) if words else None


async def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"mastra serve exited with {proc.returncode}")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"mastra serve did not answer /healthz within {timeout_s:.0f} s")


async def load(base: str, clients: int, duration_s: float, key: str | None, seed: int) -> tuple[Results, float]:
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    results = Results()
    texts = messages()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as http:
        users = [Client(i, http, results, texts, seed + i) for i in range(clients)]
        started = time.perf_counter()
        await asyncio.gather(*(u.run(started + duration_s) for u in users))
        elapsed = time.perf_counter() - started
    return results, elapsed


def report(results: Results, elapsed_s: float, clients: int) -> dict[str, Any]:
    def row(values: list[float], statuses: dict[str, int], errors: int) -> dict[str, Any]:
        return {
            "requests": len(values),
            "rps": round(len(values) / elapsed_s, 2),
            "p50_ms": round(percentile(values, 50), 2),
            "p90_ms": round(percentile(values, 90), 2),
            "p99_ms": round(percentile(values, 99), 2),
            "max_ms": round(max(values), 2),
            "errors": errors,
            "statuses": dict(sorted(statuses.items())),
        }

    endpoints = {
        name: row(values, results.statuses[name], len(results.errors.get(name, [])))
        for name, values in sorted(results.latency_ms.items())
    }
    everything = [v for values in results.latency_ms.values() for v in values]
    statuses: dict[str, int] = defaultdict(int)
    for counts in results.statuses.values():
        for status, n in counts.items():
            statuses[status] += n
    overall = row(everything, statuses, sum(len(e) for e in results.errors.values())) if everything else {}
    return {
        "clients": clients,
        "duration_s": round(elapsed_s, 2),
        "overall": overall,
        "endpoints": endpoints,
        "chat_answers": {k: v for k, v in sorted(results.answers.items()) if v},
        "error_samples": {k: v[:5] for k, v in results.errors.items()},
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }


def print_table(summary: dict[str, Any]) -> None:
    head = f"{'endpoint':<32} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(head)
    print("-" * len(head))
    rows = [*summary["endpoints"].items(), ("overall", summary["overall"])]
    for name, r in rows:
        if not r:
            continue
        print(
            f"{name:<32} {r['requests']:>8} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p90_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} {r['errors']:>7}"
        )
    print(f"\n{summary['clients']} clients for {summary['duration_s']} s on {summary['cpus']} CPUs")
    print("chat answers: " + ", ".join(f"{n} {k}" for k, n in summary["chat_answers"].items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    p.add_argument("--out", default=os.environ.get("BENCH_OUT"), help="write the JSON summary here ($BENCH_OUT)")
    p.add_argument("--key", default=os.environ.get("MASTRA_API_KEY"), help="API key ($MASTRA_API_KEY)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--url", help="load this running API instead of starting `mastra serve` (with --key)")
    args = p.parse_args(argv)

    if args.url:
        results, elapsed = asyncio.run(load(args.url.rstrip("/"), args.clients, args.duration, args.key, args.seed))
        return finish(args, report(results, elapsed, args.clients), args.key)

    with tempfile.TemporaryDirectory(prefix="mastra-load-") as tmp:
        env = server_env(Path(tmp))
        key = args.key or make_key(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115 - closed below, after the server
        cmd = [sys.executable, "-m", "mastra", "serve", "--port", str(port), "--log-level", "warning"]
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            started = time.perf_counter()
            asyncio.run(wait_ready(base, proc))
            print(f"mastra serve ready on {base} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            results, elapsed = asyncio.run(load(base, args.clients, args.duration, key, args.seed))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
    return finish(args, report(results, elapsed, args.clients), key)


def finish(args: argparse.Namespace, summary: dict[str, Any], key: str | None) -> int:
    summary["authenticated"] = key is not None
    print_table(summary)
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
        print(f"written to {args.out}")
    errors = summary["overall"].get("errors", 0) if summary["overall"] else 1
    if errors:
        print(f"{errors} errors; samples: {json.dumps(summary['error_samples'])[:2000]}", file=sys.stderr)
    return 1 if errors or not summary["overall"] else 0


if __name__ == "__main__":
    sys.exit(main())
