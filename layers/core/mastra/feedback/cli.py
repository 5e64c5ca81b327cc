"""``mastra feedback REQUEST_ID [--up|--down] [--rating N] [--comment TEXT]``: rate an answer, or show its outcome."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_commands(sub: Any) -> None:
    p = sub.add_parser("feedback", help="rate an answer (thumbs, 1-5, comment), or show its outcome and reward")
    p.add_argument("request_id", help="the answer's request id (`mastra chat` prints it)")
    thumbs = p.add_mutually_exclusive_group()
    thumbs.add_argument("--up", dest="thumbs", action="store_const", const="up", help="thumbs up")
    thumbs.add_argument("--down", dest="thumbs", action="store_const", const="down", help="thumbs down")
    p.add_argument("--rating", type=int, help="1 (bad) to 5 (excellent)")
    p.add_argument("--comment", help="free text (its sentiment is analysed)")
    p.add_argument("--user", help="who gives it (default: the user who asked)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_feedback)


def cmd_feedback(args: argparse.Namespace) -> int:
    from mastra.errors import NotFoundError
    from mastra.feedback.models import FeedbackRequest
    from mastra.runtime import get_runtime

    rt = get_runtime()
    tenant = rt.settings.tenant_id
    if args.thumbs is None and args.rating is None and args.comment is None:
        view = rt.feedback.get(tenant, args.request_id)
        _show(view.model_dump(mode="json"), args.json)
        return 0
    user = args.user
    if user is None:
        record = rt.store.get_request(tenant, args.request_id)
        if record is None:
            raise NotFoundError(f"no request {args.request_id!r}")
        user = record.user_id
    request = FeedbackRequest(
        request_id=args.request_id, user_id=user, thumbs=args.thumbs, rating=args.rating, comment=args.comment
    )
    _show(rt.feedback.submit(tenant, request).model_dump(mode="json"), args.json)
    return 0


def _show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    outcome = data.get("outcome", data)
    if outcome is None:
        print("no outcome yet")
        return
    for key in ("request_id", "agent_id", "topic", "prompt_ref", "thumbs", "rating", "comment_sentiment", "replaced"):
        if key in outcome:
            print(f"  {key:<18} {outcome[key]}")
    print(f"  {'reward':<18} {outcome['reward']:.3f}")
    for key, value in sorted(outcome.get("components", {}).items()):
        print(f"    {key:<16} {value:.3f}")
