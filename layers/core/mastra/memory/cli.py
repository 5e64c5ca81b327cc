"""``mastra memory``: look at and manage what agents remember (threads, profiles, retention, erasure).

Imported by ``mastra.cli.build_parser`` on every command, so only argparse wiring lives at module
level; the commands import the runtime (and pydantic) when they run.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING, Any

from mastra.cli_args import assignments

if TYPE_CHECKING:
    from mastra.runtime import Runtime
    from mastra.storage.models import Erasure


def add_commands(subparsers: Any) -> None:
    """Register ``mastra memory ...`` on the top-level subparsers of ``mastra.cli.build_parser``."""
    memory = subparsers.add_parser("memory", help="agent memory: threads, messages, profiles, retention, erasure")
    sub = memory.add_subparsers(dest="memory_command", required=True)

    p = sub.add_parser("threads", help="a user's threads, most recently updated first")
    p.add_argument("--user", required=True, type=_identifier, help="user id")
    _paging(p)
    p.set_defaults(func=cmd_threads)

    p = sub.add_parser("messages", help="a thread's messages, oldest first")
    p.add_argument("thread", type=_identifier, help="thread id")
    _paging(p)
    p.set_defaults(func=cmd_messages)

    p = sub.add_parser("profile", help="show or change a user's working memory")
    p.add_argument("--user", required=True, type=_identifier, help="user id")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a field; VALUE is read as JSON if it parses (42, true, '[\"a\"]'), else as a string",
    )
    p.add_argument("--remove", action="append", default=[], metavar="NAME", help="remove a field")
    p.add_argument("--expect-version", type=int, help="change only if the profile is still at this version")
    p.add_argument("--history", action="store_true", help="show every change instead of the profile")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("delete-thread", help="delete a thread and everything stored with it")
    p.add_argument("thread", type=_identifier, help="thread id")
    p.add_argument("--user", type=_identifier, help="delete only if this user owns the thread")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_delete_thread)

    p = sub.add_parser("erase-user", help="erase everything stored about a user (needs --yes)")
    p.add_argument("user", type=_identifier, help="user id")
    p.add_argument("--yes", action="store_true", help="yes, erase it: this cannot be undone")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_erase_user)

    p = sub.add_parser("retention", help="how long a tenant's memory is kept (applies to later writes)")
    p.add_argument("--tenant", help="tenant id (default: MASTRA_TENANT_ID, else 'default')")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--days", type=float, help="memory expires this many days after its last write")
    which.add_argument("--clear", action="store_true", help="back to the deployment's default retention")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_retention)

    p = sub.add_parser("purge", help="delete expired records now (reads skip them either way)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_purge)


# ---- commands --------------------------------------------------------------------------------------
def cmd_threads(args: argparse.Namespace) -> int:
    from mastra.api.schemas import ThreadPage, ThreadPublic

    rt = _runtime()
    page = rt.store.list_threads(rt.settings.tenant_id, args.user, limit=args.limit, cursor=args.cursor)
    out = ThreadPage(items=[ThreadPublic.of(t) for t in page.items], next_cursor=page.next_cursor)
    if args.json:
        _print_json(out.model_dump(mode="json"))
        return 0
    if not out.items:
        print(f"no threads for {args.user}")
    for t in out.items:
        print(f"{t.thread_id}  {t.message_count:>4} messages  updated {_when(t.updated_at)}")
    _more(out.next_cursor)
    return 0


def cmd_messages(args: argparse.Namespace) -> int:
    from mastra.api.schemas import MessagePage, MessagePublic
    from mastra.errors import NotFoundError

    rt = _runtime()
    tenant = rt.settings.tenant_id
    if rt.store.get_thread(tenant, args.thread) is None:  # an empty page would hide a mistyped id
        raise NotFoundError(f"no thread {args.thread!r}", details={"thread_id": args.thread})
    page = rt.store.list_messages(tenant, args.thread, limit=args.limit, cursor=args.cursor)
    out = MessagePage(items=[MessagePublic.of(m) for m in page.items], next_cursor=page.next_cursor)
    if args.json:
        _print_json(out.model_dump(mode="json"))
        return 0
    for m in out.items:
        who = f"{m.role} ({m.agent_id})" if m.agent_id else m.role
        print(f"{_when(m.created_at)}  {who}: {m.content}")
    _more(out.next_cursor)
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from mastra.api.schemas import WorkingMemoryPublic

    rt = _runtime()
    tenant = rt.settings.tenant_id
    patch: dict[str, Any] = {name: None for name in args.remove}
    patch.update(assignments(args.set))
    if patch or args.expect_version is not None:
        wm = rt.memory.patch_working_memory(tenant, args.user, patch, expected_version=args.expect_version)
    else:
        wm = rt.store.get_working_memory(tenant, args.user)
    if args.history:
        history = rt.store.working_memory_history(tenant, args.user)
        if args.json:
            _print_json([c.model_dump(mode="json") for c in history])
            return 0
        if not history:
            print(f"no working-memory changes for {args.user}")
        for c in history:
            changes = [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in c.set.items()]
            changes += [f"-{k}" for k in c.removed]
            print(f"v{c.version:<4} {_when(c.at)}  {c.source:<24} {' '.join(changes)}")
        return 0
    profile = WorkingMemoryPublic.of(wm, rt.memory.schema.json_schema())
    if args.json:
        _print_json(profile.model_dump(mode="json", by_alias=True))
        return 0
    print(f"{args.user}: version {wm.version}" + (f", updated {_when(wm.updated_at)}" if wm.version else ""))
    for name in sorted(wm.fields):
        print(f"  {name:<20} {json.dumps(wm.fields[name], ensure_ascii=False)}")
    declared = sorted(set(rt.memory.schema.fields) - set(wm.fields))
    if declared:
        print(f"  (not set: {', '.join(declared)})")
    return 0


def cmd_delete_thread(args: argparse.Namespace) -> int:
    rt = _runtime()
    erased = rt.memory.delete_thread(rt.settings.tenant_id, args.thread, user_id=args.user)
    return _report(f"deleted thread {args.thread}", erased, args.json)


def cmd_erase_user(args: argparse.Namespace) -> int:
    from mastra.errors import InvalidRequestError

    if not args.yes:  # refuse before touching the store: erasure cannot be undone
        raise InvalidRequestError(f"erasing {args.user!r} deletes all their memory for good; add --yes to confirm")
    rt = _runtime()
    erased = rt.memory.erase_user(rt.settings.tenant_id, args.user)
    return _report(f"erased user {args.user}", erased, args.json)


def cmd_retention(args: argparse.Namespace) -> int:
    from mastra.storage.models import TenantConfig

    rt = _runtime()
    tenant = args.tenant or rt.settings.tenant_id
    config = rt.store.set_tenant_config(
        TenantConfig(tenant_id=tenant, retention_days=None if args.clear else args.days)
    )
    if args.json:
        _print_json(config.model_dump(mode="json"))
        return 0
    if config.retention_days is not None:
        print(f"tenant {tenant}: memory expires {config.retention_days:g} days after its last write")
    else:
        default = rt.store.default_retention_days
        kept = "kept" if default is None else f"expires {default:g} days after its last write"
        print(f"tenant {tenant}: the deployment's default retention (memory {kept})")
    print("  (records already stored keep their expiry until written again)")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    removed = _runtime().store.purge_expired()
    if args.json:
        _print_json({"removed": removed})
    else:
        print(f"purged {removed} expired records")
    return 0


# ---- helpers ---------------------------------------------------------------------------------------
def _runtime() -> Runtime:
    from mastra.cli import _runtime  # at call time: mastra.cli imports this module

    return _runtime()


def _print_json(data: Any) -> None:
    from mastra.cli import _print_json

    _print_json(data)


def _identifier(value: str) -> str:
    """argparse ``type``: a user or thread id as the API accepts it."""
    import re

    from mastra.models import ID_PATTERN

    if not re.fullmatch(ID_PATTERN, value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an id (1-128 of A-Z a-z 0-9 _ . : @ -)")
    return value


def _paging(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=50, help="page size (1-200, default 50)")
    p.add_argument("--cursor", help="next_cursor of the previous page")
    p.add_argument("--json", action="store_true")


def _report(what: str, erased: Erasure, as_json: bool) -> int:
    counts = erased.model_dump()
    if as_json:
        _print_json(counts)
        return 0
    removed = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n)
    print(f"{what}: {removed or 'nothing was stored'}")
    return 0


def _more(cursor: str | None) -> None:
    if cursor:
        print(f"(more: --cursor {cursor})")


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
