"""``mastra keys create|list|revoke``: API keys, managed in-process against the configured store.

The CLI acts with the operator's authority (it can open the store): no key is needed to run it,
and each create or revoke is audited with actor ``cli:<os user>``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mastra.runtime import Runtime
    from mastra.security.keys import NewKey
    from mastra.security.principal import Principal


def add_commands(sub: Any) -> None:
    keys = sub.add_parser("keys", help="API keys: create (shown once), list, revoke")
    ks = keys.add_subparsers(dest="keys_command", required=True)

    p = ks.add_parser("create", help="create an API key and print it (this once)")
    p.add_argument("--name", default="cli", help="what the key is for (default: cli)")
    p.add_argument(
        "--scopes", default="admin", help="comma-separated: chat,feedback,memory,prompts,stats,admin (default: admin)"
    )
    p.add_argument("--expires-in-days", type=float, help="refused after this many days (default: never)")
    p.add_argument("--rate", type=float, help="requests per second for this key (default: the deployment's)")
    p.add_argument("--burst", type=int, help="burst size for this key (default: the deployment's)")
    _common(p)
    p.set_defaults(func=cmd_create)

    p = ks.add_parser("list", help="the tenant's keys (never their secrets)")
    _common(p)
    p.set_defaults(func=cmd_list)

    p = ks.add_parser("revoke", help="revoke a key by its id")
    p.add_argument("key_id")
    _common(p)
    p.set_defaults(func=cmd_revoke)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant", help="the tenant (default: MASTRA_TENANT_ID, else 'default')")
    p.add_argument("--json", action="store_true")


def _context(args: argparse.Namespace) -> tuple[Runtime, Principal]:
    from mastra.runtime import get_runtime
    from mastra.security.principal import ALL_SCOPES, Principal

    rt = get_runtime()
    tenant = args.tenant or rt.settings.tenant_id
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container)
        user = "unknown"
    return rt, Principal(
        tenant_id=tenant, scopes=frozenset(ALL_SCOPES), subject=user, key_id=f"cli:{user}", via="local"
    )


def create_key(rt: Runtime, actor: Principal, name: str, scopes: list[str], **options: Any) -> NewKey:
    """Create a key and audit it (the CLI and ``mastra serve``'s first start)."""
    created = rt.keys.create(actor.tenant_id, name, scopes, created_by=actor.actor, **options)
    rt.audit(actor, "key.created", f"key:{created.key_id}", scopes=" ".join(created.scopes), name=created.name)
    return created


def cmd_create(args: argparse.Namespace) -> int:
    import time

    rt, actor = _context(args)
    expires = time.time() + args.expires_in_days * 86400 if args.expires_in_days else None
    scopes = [s for s in args.scopes.split(",") if s.strip()]
    created = create_key(rt, actor, args.name, scopes, expires_at=expires, rate_per_s=args.rate, burst=args.burst)
    if args.json:
        print(json.dumps(created.model_dump(mode="json"), indent=2))
        return 0
    print(created.key)
    print(
        f"key {created.key_id} of tenant {created.tenant_id} ({', '.join(created.scopes)}): shown this once, "
        'use it as -H "Authorization: Bearer <key>"',
        file=sys.stderr,
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rt, actor = _context(args)
    keys = rt.keys.list(actor.tenant_id)
    if args.json:
        print(json.dumps([k.model_dump(mode="json") for k in keys], indent=2))
        return 0
    if not keys:
        print(f"no keys in tenant {actor.tenant_id}")
    for k in keys:
        state = "revoked" if k.revoked_at else "active"
        print(f"{k.key_id}  {state:<7}  {k.name:<20} {','.join(k.scopes)}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    rt, actor = _context(args)
    revoked = rt.keys.revoke(actor.tenant_id, args.key_id)
    rt.audit(actor, "key.revoked", f"key:{revoked.key_id}")
    print(json.dumps(revoked.model_dump(mode="json"), indent=2) if args.json else f"revoked {revoked.key_id}")
    return 0


def bootstrap_message(rt: Runtime, host: str, port: int) -> str:
    """``mastra serve``'s first start: an admin key for the deployment's tenant if it has no live
    admin key (printed once); otherwise how to make another."""
    from mastra.security.principal import ALL_SCOPES, Principal

    tenant = rt.settings.tenant_id
    if rt.keys.has_active(tenant, "admin"):
        return (
            f"API keys: tenant {tenant!r} has an admin key (shown when it was created). "
            f"Another: mastra keys create --name NAME --scopes chat,feedback"
        )
    actor = Principal(tenant_id=tenant, scopes=frozenset(ALL_SCOPES), key_id="cli:serve", via="local")
    created = create_key(rt, actor, "serve-bootstrap", ["admin"])
    bar = "=" * 78
    return "\n".join(
        [
            bar,
            f"First start: an admin API key for tenant {tenant!r} (shown ONCE; only its hash is stored):",
            "",
            f"    {created.key}",
            "",
            f'    export MASTRA_KEY="{created.key}"',
            f'    curl -H "Authorization: Bearer $MASTRA_KEY" http://{host}:{port}/v1/agents',
            f"    console: http://{host}:{port}/ui  (paste the key in its key field)",
            "",
            "Lost it? mastra keys revoke " + created.key_id + " && mastra keys create",
            bar,
        ]
    )
