"""``mastra prompts ...``: the prompt registry from the command line (readable text, or ``--json``)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mastra.cli_args import assignments

if TYPE_CHECKING:
    from mastra.prompts.registry import PromptService


def _service() -> PromptService:
    from mastra.runtime import get_runtime

    return get_runtime().prompts


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


def _variables(specs: list[str]) -> list[dict[str, Any]]:
    """``name:type`` (``name:type?`` for an optional one) -> variable declarations."""
    out = []
    for spec in specs:
        name, sep, kind = spec.partition(":")
        if not sep or not name:
            raise SystemExit(f"error: --var takes name:type, not {spec!r}")
        optional = kind.endswith("?")
        out.append({"name": name, "type": kind.rstrip("?") or "string", "required": not optional})
    return out


def _values(pairs: list[str], file: str | None) -> dict[str, Any]:
    """Sample values: ``--set name=value`` (JSON if it parses, else a string) and/or ``--vars FILE.json``."""
    values: dict[str, Any] = json.loads(Path(file).read_text()) if file else {}
    return values | assignments(pairs)


def cmd_list(args: argparse.Namespace) -> int:
    prompts = _service().list_prompts()
    if args.json:
        _print_json([p.model_dump() for p in prompts])
        return 0
    if not prompts:
        print("no prompts registered")
    for p in prompts:
        labels = ", ".join(f"{name} -> {t.describe()}" for name, t in sorted(p.labels.items())) or "no labels"
        print(f"{p.id:<24} v{p.latest_version:<4} {labels}")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    versions = _service().versions(args.prompt_id)
    if args.json:
        _print_json([v.model_dump() for v in versions])
        return 0
    for v in versions:
        print(f"{v.version:>4}  {_when(v.created_at)}  {v.author:<16} {v.note}".rstrip())
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    service = _service()
    if args.label:
        label = service.get_label(args.prompt_id, args.label)
        history = service.history(args.prompt_id, args.label)
        if args.json:
            _print_json({"label": label.model_dump(), "history": [m.model_dump() for m in history]})
            return 0
        print(f"{args.prompt_id}@{label.name} -> {label.target.describe()}  (revision {label.revision})")
        for m in history:
            was = m.from_target.describe() if m.from_target else "-"
            print(f"  {_when(m.at)}  {m.by:<16} {was} -> {m.to_target.describe()}  {m.note}".rstrip())
        return 0
    version = service.get(args.prompt_id, args.version or service.versions(args.prompt_id)[-1].version)
    if args.json:
        _print_json(version.model_dump())
        return 0
    print(f"{version.ref}  by {version.author}, {_when(version.created_at)}  {version.note}".rstrip())
    for v in version.variables:
        print(f"  var   {v.name}: {v.type}{'' if v.required else ' (optional)'}  {v.description}".rstrip())
    for key, value in version.model.overrides().items():
        print(f"  model {key} = {value}")
    print()
    print(version.template.rstrip())
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    from mastra.prompts.models import PromptDraft
    from mastra.prompts.seed import load_prompt_file

    if args.from_file:
        file = load_prompt_file(args.from_file)
        if file.id != args.prompt_id:
            raise SystemExit(f"error: {args.from_file} declares prompt {file.id!r}, not {args.prompt_id!r}")
        data = file.draft().model_dump()
    else:
        template = Path(args.file).read_text() if args.file else sys.stdin.read()
        data = {"template": template, "variables": _variables(args.var), "model": {}}
        if args.model_id:
            data["model"]["model_id"] = args.model_id
        if args.temperature is not None:
            data["model"]["temperature"] = args.temperature
        if args.max_tokens is not None:
            data["model"]["max_tokens"] = args.max_tokens
    if args.author:
        data["author"] = args.author
    if args.note:
        data["note"] = args.note
    version = _service().create(args.prompt_id, PromptDraft.model_validate(data), version=args.version)
    if args.json:
        _print_json(version.model_dump())
    else:
        print(f"created {version.ref}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    diff = _service().diff(args.prompt_id, args.from_version, args.to_version)
    if args.json:
        _print_json(diff.model_dump())
        return 0
    if diff.unchanged:
        print(f"{args.prompt_id}: v{args.from_version} and v{args.to_version} are the same")
        return 0
    sys.stdout.write(diff.template)
    for v in diff.variables_added:
        print(f"+ variable {v.name}: {v.type}")
    for v in diff.variables_removed:
        print(f"- variable {v.name}: {v.type}")
    for c in diff.variables_changed:
        print(f"~ variable {c['name']}: {c['from']} -> {c['to']}")
    for key, change in diff.model.items():
        print(f"~ model {key}: {change['from']} -> {change['to']}")
    return 0


def _split(text: str) -> list[dict[str, Any]]:
    """``2:90,3:10`` -> two weighted arms."""
    arms = []
    for part in text.split(","):
        version, sep, weight = part.partition(":")
        if not sep:
            raise SystemExit(f"error: --split takes VERSION:WEIGHT,VERSION:WEIGHT, not {text!r}")
        try:
            arms.append({"version": int(version), "weight": float(weight)})
        except ValueError:
            raise SystemExit(f"error: --split takes VERSION:WEIGHT,VERSION:WEIGHT, not {text!r}") from None
    return arms


def cmd_label(args: argparse.Namespace) -> int:
    from mastra.prompts.models import LabelTarget

    if (args.version is None) == (args.split is None):
        raise SystemExit("error: give --version N or --split V1:W1,V2:W2")
    target = LabelTarget.model_validate(
        {"version": args.version} if args.version is not None else {"split": _split(args.split)}
    )
    expected = None
    if args.expect is not None:
        expected = LabelTarget.model_validate(
            {"version": int(args.expect)} if args.expect.isdigit() else {"split": _split(args.expect)}
        )
    label = _service().move_label(
        args.prompt_id,
        args.label,
        target,
        expected=expected,
        expect_new=args.expect_new,
        by=args.author or "cli",
        note=args.note or "",
    )
    if args.json:
        _print_json(label.model_dump())
    else:
        print(f"{args.prompt_id}@{label.name} -> {label.target.describe()}  (revision {label.revision})")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from mastra.prompts.registry import parse_ref

    prompt_id, label, version = parse_ref(args.ref) if "@" in args.ref else (args.ref, None, None)
    text, use = _service().render(
        prompt_id, _values(args.set, args.vars), version=version, label=label, user_id=args.user
    )
    if args.json:
        _print_json({"text": text, "prompt": use.model_dump()})
    else:
        print(text)
        print(
            f"\n  prompt  {use.ref}" + (f"  (label {use.label}, arm {use.arm})" if use.label else ""), file=sys.stderr
        )
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from mastra.prompts.seed import seed_directory

    created = seed_directory(_service(), args.directory, label=args.label)
    if args.json:
        _print_json({"created": created})
    else:
        print(f"registered {len(created)} prompt(s) as version 1 @{args.label}: {', '.join(created) or 'none new'}")
    return 0


def add_commands(subparsers: Any) -> None:
    """Register ``mastra prompts ...`` on the main parser's subparsers."""
    parser = subparsers.add_parser("prompts", help="the prompt registry: versions, labels, diffs, rendering")
    sub = parser.add_subparsers(dest="prompts_command", required=True)

    def command(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=func)
        return p

    command("list", cmd_list, "list the prompts, their latest version and labels")

    p = command("versions", cmd_versions, "list a prompt's versions")
    p.add_argument("prompt_id")

    p = command("show", cmd_show, "show one version (default: the latest), or a label and its history")
    p.add_argument("prompt_id")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--version", type=int)
    group.add_argument("--label")

    p = command("create", cmd_create, "create a new version (template from --file, stdin or a prompt file)")
    p.add_argument("prompt_id")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--file", help="the template (default: stdin)")
    source.add_argument("--from", dest="from_file", help="a YAML prompt file (template, variables, model, note)")
    p.add_argument(
        "--var", action="append", default=[], metavar="NAME:TYPE", help="declare a variable (TYPE? = optional)"
    )
    p.add_argument("--model-id")
    p.add_argument("--temperature", type=float)
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--version", type=int, help="exact version number (fails if it exists)")
    p.add_argument("--author")
    p.add_argument("--note")

    p = command("diff", cmd_diff, "diff two versions: template, variables, model settings")
    p.add_argument("prompt_id")
    p.add_argument("from_version", type=int)
    p.add_argument("to_version", type=int)

    p = command("label", cmd_label, "move a label to a version, or split it A/B (rollback: move it back)")
    p.add_argument("prompt_id")
    p.add_argument("label")
    p.add_argument("--version", type=int)
    p.add_argument("--split", metavar="V1:W1,V2:W2", help="weighted split between two versions")
    p.add_argument("--expect", metavar="N|V1:W1,V2:W2", help="only if the label points here now")
    p.add_argument("--expect-new", action="store_true", help="only if the label does not exist yet")
    p.add_argument("--author")
    p.add_argument("--note")

    p = command("render", cmd_render, "render a version with sample variables")
    p.add_argument("ref", help="<id>, <id>@<version> or <id>@<label>")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a value (JSON, or a string)")
    p.add_argument("--vars", help="a JSON file of values")
    p.add_argument("--user", default="local-user", help="user id (chooses the arm of a split label)")

    p = command("seed", cmd_seed, "register a directory of prompt files (new prompts only) as version 1")
    p.add_argument("directory")
    p.add_argument("--label", default="production")
