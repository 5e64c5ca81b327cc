"""``mastra stats``: the same aggregates as ``GET /v1/stats`` (a table, ``--json``, or ``--plot out.png``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def table(summary: dict[str, Any]) -> str:
    """The summary as a readable table, one row per group."""
    head = (
        f"{summary['by']:<24} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
        f"{'reflect':>7} {'reward':>6} {'up':>4} {'down':>4} {'rated':>5} {'comm.':>5}"
    )
    rows = [head]
    for g in summary["groups"]:
        lat, fb = g["latency_ms"], g["feedback"]
        rows.append(
            f"{g['key']:<24} {g['requests']:>8} {g['errors']:>6} {_fmt(lat['p50'], '.1f'):>8} "
            f"{_fmt(lat['p90'], '.1f'):>8} {_fmt(lat['p99'], '.1f'):>8} {_fmt(g['reflection_score']):>7} "
            f"{_fmt(g['reward']):>6} {fb['up']:>4} {fb['down']:>4} {fb['ratings']:>5} {fb['comments']:>5}"
        )
    if not summary["groups"]:
        rows.append("(no requests in the window)")
    return "\n".join(rows)


def cmd_stats(args: argparse.Namespace) -> int:
    from mastra.runtime import get_runtime

    rt = get_runtime()
    summary = rt.stats.summary(args.tenant or rt.settings.tenant_id, by=args.by, window=args.window)
    if args.prompt:  # one prompt's versions (A/B): keys are '<id>@<version>'
        summary["groups"] = [g for g in summary["groups"] if g["key"].partition("@")[0] == args.prompt]
    if args.plot:
        from mastra.stats.plot import plot_summary

        try:
            path = plot_summary(summary, args.plot)
        except ImportError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.plot:
        print(table(summary))
    return 0


def add_commands(sub: Any) -> None:
    p = sub.add_parser("stats", help="requests, latency, reflection, reward and feedback per agent, prompt or topic")
    p.add_argument("--by", default="agent", help="agent (default), prompt (version) or topic")
    p.add_argument("--window", default="24h", help="how far back: e.g. 90m, 24h, 7d (default 24h)")
    p.add_argument("--tenant", help="tenant (default: MASTRA_TENANT_ID)")
    p.add_argument("--prompt", help="with --by prompt: only this prompt's versions (A/B results)")
    p.add_argument("--json", action="store_true", help="print the JSON of GET /v1/stats")
    p.add_argument("--plot", metavar="OUT.png", help="write a PNG of reward and latency per group over time")
    p.set_defaults(func=cmd_stats)
