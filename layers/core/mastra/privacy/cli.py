"""``mastra privacy show|set|reset`` (a tenant's policy) and ``mastra eval pii`` (the detector on labelled rows)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_commands(sub: Any) -> None:
    p = sub.add_parser("privacy", help="a tenant's PII policy: redact, mask or allow per entity type")
    ps = p.add_subparsers(dest="privacy_command", required=True)
    show = ps.add_parser("show", help="the policy in force (every type's mode)")
    show.add_argument("--tenant", help="the tenant (default: the deployment's)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)
    set_ = ps.add_parser("set", help="set modes, e.g. `mastra privacy set EMAIL=mask PHONE=allow`")
    set_.add_argument("modes", nargs="*", metavar="TYPE=MODE", help="an entity type and redact|mask|allow")
    set_.add_argument("--default", choices=["redact", "mask", "allow"], help="the mode of types not listed")
    set_.add_argument("--tenant", help="the tenant (default: the deployment's)")
    set_.add_argument("--json", action="store_true")
    set_.set_defaults(func=cmd_set)
    reset = ps.add_parser("reset", help="back to the default (redact everything)")
    reset.add_argument("--tenant", help="the tenant (default: the deployment's)")
    reset.add_argument("--json", action="store_true")
    reset.set_defaults(func=cmd_reset)


def _show(policy: Any, as_json: bool) -> None:
    body = {"tenant_id": policy.tenant_id, "default": policy.default, "modes": policy.effective()}
    if as_json:
        print(json.dumps(body, indent=2))
        return
    print(f"  tenant {policy.tenant_id}  (default: {policy.default})")
    for t, mode in body["modes"].items():
        print(f"  {t:<12} {mode}")


def cmd_show(args: argparse.Namespace) -> int:
    from mastra.runtime import get_runtime

    rt = get_runtime()
    _show(rt.privacy.policy(args.tenant or rt.settings.tenant_id), args.json)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from mastra.errors import InvalidRequestError
    from mastra.privacy import MODES, TYPES, PrivacyPolicy
    from mastra.runtime import get_runtime

    rt = get_runtime()
    tenant = args.tenant or rt.settings.tenant_id
    current = rt.privacy.policy(tenant)
    modes = dict(current.modes)
    for pair in args.modes:
        name, _, mode = pair.partition("=")
        name = name.strip().upper()
        if name not in TYPES or mode not in MODES:
            raise InvalidRequestError(
                f"{pair!r}: expected TYPE=MODE with TYPE in {list(TYPES)} and MODE in {list(MODES)}"
            )
        modes[name] = mode
    policy = PrivacyPolicy(tenant_id=tenant, default=args.default or current.default, modes=modes)
    _show(rt.privacy.set_policy(policy, actor="cli"), args.json)
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from mastra.runtime import get_runtime

    rt = get_runtime()
    tenant = args.tenant or rt.settings.tenant_id
    _show(rt.privacy.reset(tenant), args.json)
    return 0


def run_eval(data: Path, *, as_json: bool) -> int:
    """``mastra eval pii --data FILE.jsonl [--json]``: per-type precision, recall, f1, n."""
    from mastra.privacy.evaluate import evaluate, load_rows, table

    result = evaluate(load_rows(data))
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
    return 0
