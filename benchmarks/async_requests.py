"""Async requests on the embedded default: how fast ``POST /v1/requests`` answers 202, and how soon
the worker threads finish a burst.

    python benchmarks/async_requests.py [--n 40] [--workers 2] [--json]

Submits ``n`` requests one after another through the API (in-process, a fresh data dir), then polls
until every one is done. Prints the 202's p50 and max latency, the time from the first POST until
all are done, and how many succeeded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "core"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["MASTRA_HOME"] = tempfile.mkdtemp(prefix="mastra-bench-")
    os.environ["MASTRA_REQUESTS_WORKERS"] = str(args.workers)
    from fastapi.testclient import TestClient

    from mastra.api import create_app
    from mastra.runtime import Runtime

    rt = Runtime().warm()
    with TestClient(create_app(rt)) as client:
        client.post("/v1/chat", json={"message": "warm up"})
        posts, ids = [], []
        t0 = time.perf_counter()
        for i in range(args.n):
            started = time.perf_counter()
            r = client.post("/v1/requests", json={"message": f"how do i transfer money to savings {i}", "user_id": "u"})
            posts.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 202, r.text
            ids.append(r.json()["request_id"])
        pending = set(ids)
        while pending:
            pending = {i for i in pending if client.get(f"/v1/requests/{i}").json()["status"] in ("queued", "running")}
            time.sleep(0.02)
        total_s = time.perf_counter() - t0
        ok = sum(client.get(f"/v1/requests/{i}").json()["status"] == "succeeded" for i in ids)
    result = {
        "n": args.n,
        "workers": args.workers,
        "post_p50_ms": round(statistics.median(posts), 1),
        "post_max_ms": round(max(posts), 1),
        "all_done_s": round(total_s, 2),
        "succeeded": ok,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"POST /v1/requests 202: p50 {result['post_p50_ms']} ms, max {result['post_max_ms']} ms; "
            f"{args.n} requests done {result['all_done_s']} s after the first POST ({args.workers} workers); "
            f"succeeded {ok}/{args.n}"
        )


if __name__ == "__main__":
    main()
