"""``mastra requests``: queued requests from the command line (the tenant is MASTRA_TENANT_ID).

mastra requests submit "message" [--callback-url URL]   queue one (prints its id)
mastra requests status REQUEST_ID                       its status, result or error
mastra requests work [--once]                           drain the embedded queue in this process
mastra requests secret                                  the tenant's callback signing secret
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def add_commands(sub: Any) -> None:
    p = sub.add_parser("requests", help="async requests: submit, status, work the embedded queue, callback secret")
    p.add_argument("action", choices=["submit", "status", "work", "secret"])
    p.add_argument("arg", nargs="?", help="submit: the message; status: the request id")
    p.add_argument("--user", default="local-user", help="submit: user id (default: local-user)")
    p.add_argument("--thread", help="submit: thread to continue")
    p.add_argument("--callback-url", help="submit: called (signed) when the request is done")
    p.add_argument("--once", action="store_true", help="work: run what is ready, then exit")
    p.set_defaults(func=cmd_requests)


def cmd_requests(args: argparse.Namespace) -> int:
    from mastra.async_requests import AsyncChatRequest
    from mastra.runtime import get_runtime

    rt = get_runtime()
    tenant = rt.settings.tenant_id
    service = rt.async_requests
    if args.action == "secret":
        if rt.settings.callback_secrets != "local":
            print(f"error: secrets are SSM parameters: {rt.settings.callback_secret_prefix}{tenant}", file=sys.stderr)
            return 2
        print(service.sender.secrets.get(tenant).decode())
        return 0
    if args.action == "work":
        workers = service.start_workers()
        if workers is None:
            print("error: MASTRA_REQUESTS_QUEUE=sqs: the request worker function drains SQS", file=sys.stderr)
            return 2
        try:
            while True:
                waiting, dead = service.queue.queue.depth()  # type: ignore[attr-defined]
                if args.once and waiting == 0:
                    break
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            service.stop_workers()
        print(json.dumps({"waiting": waiting, "dead": dead}))
        return 0
    if not args.arg:
        print(f"error: `mastra requests {args.action}` needs an argument", file=sys.stderr)
        return 2
    if args.action == "submit":
        body = AsyncChatRequest(
            message=args.arg, user_id=args.user, thread_id=args.thread, callback_url=args.callback_url
        )
        # Queued only: `mastra serve` (or `mastra requests work`) runs it.
        service.start_workers = lambda threads=None: None  # type: ignore[method-assign]
        status = service.submit(body, tenant)
        print(json.dumps({"request_id": status.request_id, "thread_id": status.thread_id, "status": status.status}))
        return 0
    status = service.get(tenant, args.arg)
    print(status.model_dump_json(indent=2, exclude={"revision", "expires_at"}))
    return 0
