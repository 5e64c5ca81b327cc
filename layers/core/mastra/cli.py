"""The ``mastra`` command line.

argparse rather than click/typer: it is already imported by the interpreter's standard library,
while click costs ~22 ms (typer ~100 ms with rich) of the ~300 ms cold-start budget of ``mastra chat``.
Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mastra.runtime import Runtime


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _runtime() -> Runtime:
    from mastra.runtime import get_runtime

    return get_runtime()


def cmd_chat(args: argparse.Namespace) -> int:
    from mastra.models import ChatRequest

    request = ChatRequest(message=args.message, user_id=args.user, thread_id=args.thread)
    response = _runtime().warm().chat(request)
    if args.json:
        _print_json(response.model_dump(mode="json"))
        return 0
    print(response.answer)
    print()
    sel = response.trace.selection
    others = [
        f"{s.agent_id} {s.confidence:.2f}" for s in sel.ranked if s.agent_id != response.agent and s.confidence >= 0.01
    ]
    rows = [
        (
            "agent",
            f"{response.agent}  (confidence {response.confidence:.2f}; "
            + (f"then {', '.join(others[:3])})" if others else "no close alternative)"),
        ),
        ("sentiment", f"{response.sentiment.label}  (score {response.sentiment.score:+.2f})"),
        ("reflection", f"{response.reflection.verdict}  ({response.reflection.reason})"),
    ]
    if len(response.attempts) > 1:
        rows.append(("attempts", " → ".join(f"{a.agent_id} {a.verdict} {a.score:.2f}" for a in response.attempts)))
    if response.sources:
        rows.append(("sources", ", ".join(response.sources)))
    for call in response.trace.executions[-1].tool_calls:
        rows.append(("tool", f"{call.name}({json.dumps(call.arguments)}) -> {call.result.get('text', call.result)}"))
    rows.append(("thread", f"{response.thread_id}  (continue with --thread {response.thread_id})"))
    rows.append(("request", response.request_id))
    rows.append(("timings ms", " · ".join(f"{k} {v:.2f}" for k, v in response.timings_ms.items())))
    for key, value in rows:
        print(f"  {key:<11} {value}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print("error: `mastra serve` needs the api extra: pip install 'mastra[api]'", file=sys.stderr)
        return 2
    from mastra.api import create_app
    from mastra.runtime import get_runtime
    from mastra.security.cli import bootstrap_message

    runtime = get_runtime().warm()
    print(bootstrap_message(runtime, args.host, args.port), file=sys.stderr)
    print(
        f"Mastra API on http://{args.host}:{args.port}  (docs: http://{args.host}:{args.port}/docs)",
        file=sys.stderr,
    )
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def cmd_agents(args: argparse.Namespace) -> int:
    from mastra.api.schemas import AgentSummary

    agents = [AgentSummary.of(spec).model_dump() for spec in _runtime().agents.registry]
    if args.json:
        _print_json(agents)
        return 0
    for a in agents:
        flag = " (fallback)" if a["fallback"] else ""
        tools = f"  tools: {', '.join(a['tools'])}" if a["tools"] else ""
        print(f"{a['id']:<20} {a['name']}{flag} [{a['provider']}]{tools}\n{'':<20} {a['description']}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from mastra.spec.models import AgentSpec

    _print_json(AgentSpec.model_json_schema())
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from mastra.spec.registry import AgentRegistry

    registry = AgentRegistry.from_directory(args.directory)
    print(f"{len(registry)} agents OK: {', '.join(registry.ids)} (fallback: {registry.fallback_id})")
    return 0


def cmd_build_agents(args: argparse.Namespace) -> int:
    from mastra.agents.agentset import AgentSet
    from mastra.settings import get_settings

    directory, out = get_settings().agents_dir, Path(args.out)
    agents = AgentSet.load(directory, out)  # compiles and writes into `out` unless already there
    print(f"compiled {len(agents.registry)} agents from {directory} into {out / AgentSet.cache_name(directory)}")
    return 0


def find_project_dir(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``template.yaml`` and ``functions/``."""
    for candidate in (start, *start.parents):
        if (candidate / "template.yaml").exists() and (candidate / "functions").is_dir():
            return candidate
    raise FileNotFoundError(f"no project (template.yaml + functions/) at or above {start}")


def cmd_invoke(args: argparse.Namespace) -> int:
    from mastra.invoke import invoke_function

    project = Path(args.project_dir) if args.project_dir else find_project_dir(Path.cwd())
    event = json.loads(Path(args.event).read_text()) if args.event != "-" else json.load(sys.stdin)
    _print_json(invoke_function(project, args.function, event))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """The model registry: list versions, promote one, roll back to one."""
    from mastra.training import service
    from mastra.training.kinds import KINDS

    rt = _runtime()
    registry = rt.registry
    if args.kind in KINDS:  # version 0 (the default model) exists from the first look on
        service.ensure_builtin(rt, KINDS[args.kind])
    if args.action in ("promote", "rollback"):
        if args.version is None:
            raise SystemExit(f"error: `mastra models {args.action}` needs --version")
        promoted = registry.promote(args.kind, args.version)
        if args.json:
            _print_json(promoted.model_dump())
        else:
            print(f"{args.kind} version {promoted.version} is the champion")
        return 0
    versions = registry.versions(args.kind)
    if args.json:
        _print_json([v.model_dump() for v in versions])
        return 0
    if not versions:
        print(f"no {args.kind} versions registered")
    for v in versions:
        metrics = ", ".join(f"{k} {val:.4f}" for k, val in sorted(v.metrics.items()))
        rows = sum(int(c.get("rows", 0)) for c in v.data.values() if isinstance(c, dict)) or "-"
        print(
            f"{v.version:>4}  {v.status:<9}  {time.strftime('%Y-%m-%d %H:%M', time.gmtime(v.created_at))}  "
            f"rows {rows}  {metrics}  {v.note}".rstrip()
        )
    return 0


def _hyperparameters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: --hp takes name=value, not {pair!r}")
        out[key] = value
    return out


def _channels(args: argparse.Namespace) -> dict[str, Path]:
    channels = {"train": args.data, "validation": args.validation, "agents": args.agents}
    if args.kind == "router" and args.data is None and args.agents is None:
        raise SystemExit("error: router training needs --agents DIR, --data FILE.jsonl, or both")
    if args.kind != "router" and args.data is None:
        raise SystemExit(f"error: {args.kind} training needs --data FILE.jsonl")
    if args.kind != "router" and args.agents is not None:
        raise SystemExit("error: --agents is for router training")
    return {name: path for name, path in channels.items() if path is not None}


def cmd_train(args: argparse.Namespace) -> int:
    """Train a model kind locally (script mode) and register it; or start the same script on SageMaker."""
    from mastra.training import service
    from mastra.training.kinds import kind

    k = kind(args.kind)
    hps = _hyperparameters(args.hp)
    channels = _channels(args)
    if args.sagemaker:
        from mastra.training.sagemaker import SageMakerTraining

        trainer = SageMakerTraining(args.bucket or _runtime().settings.artifacts_bucket or "", args.role, args.image)
        print(trainer.start(k.name, k.entry, channels, hyperparameters=hps))
        return 0
    version = service.train(_runtime(), k, channels, hyperparameters=hps, promote=args.promote)
    if args.json:
        _print_json(version.model_dump())
    else:
        metrics = ", ".join(f"{key} {v:g}" for key, v in sorted(version.metrics.items()))
        print(f"{k.name} version {version.version} ({version.status}): {metrics}")
    return 0


#: ``mastra eval <name>`` for detectors that are not registry models: name -> "module:function(data, as_json=)".
EVALUATORS: dict[str, str] = {
    "pii": "mastra.privacy.cli:run_eval",
    "injection": "mastra.screening.evaluate:run",
}


def cmd_eval(args: argparse.Namespace) -> int:
    from mastra.training import service
    from mastra.training.kinds import kind

    if args.kind in EVALUATORS:
        import importlib

        module, func = EVALUATORS[args.kind].split(":")
        evaluate: Callable[..., int] = getattr(importlib.import_module(module), func)
        return evaluate(args.data, as_json=args.json)
    result = service.evaluate(_runtime(), kind(args.kind), args.data, version=args.version)
    if args.json:
        _print_json(result)
        return 0
    classes = result.pop("per_class", {})
    for key, value in result.items():
        print(f"  {key:<22} {value}")
    if classes:
        print(f"\n  {'class':<22} {'precision':>9} {'recall':>9} {'n':>7}")
        for label, c in classes.items():
            print(f"  {label:<22} {c['precision']:>9.4f} {c['recall']:>9.4f} {int(c['n']):>7}")
    return 0


def cmd_pipeline(args: argparse.Namespace) -> int:
    from mastra.pipeline import definition

    text = json.dumps(definition(), indent=2) + "\n"
    if args.write or args.check:
        target = Path(args.output)
        if args.check:
            if not target.exists() or target.read_text() != text:
                print(f"{target} is out of date: run `mastra pipeline asl --write`", file=sys.stderr)
                return 1
            print(f"{target} is up to date")
            return 0
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        print(f"wrote {target}")
        return 0
    sys.stdout.write(text)
    return 0


def cmd_event_schemas(args: argparse.Namespace) -> int:
    """The events' JSON Schemas: print, ``--write`` them, or ``--check`` the committed ones."""
    from mastra.events import schemas

    directory = Path(args.output)
    if args.check:
        stale = schemas.stale(directory)
        if stale:
            names = ", ".join(stale)
            print(f"{directory}: out of date ({names}): run `mastra events schemas --write`", file=sys.stderr)
            return 1
        print(f"{directory} is up to date")
        return 0
    if args.write:
        written = schemas.write(directory)
        print(f"wrote {len(written)} schemas to {directory}")
        return 0
    _print_json({name: json.loads(text) for name, text in schemas.schema_files().items()})
    return 0


def _when(text: str) -> float:
    """Unix seconds, or an ISO 8601 date or time (UTC unless it says otherwise)."""
    from datetime import UTC, datetime

    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not unix seconds or an ISO date: {text!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def cmd_retrain(args: argparse.Namespace) -> int:
    """Run the retraining state machine locally, or print / write / check its ASL document."""
    from mastra.training import retraining

    if args.action == "asl":
        text = json.dumps(retraining.definition(), indent=2) + "\n"
        target = Path(args.output)
        if args.check:
            if not target.exists() or target.read_text() != text:
                print(f"{target} is out of date: run `mastra retrain asl --write`", file=sys.stderr)
                return 1
            print(f"{target} is up to date")
        elif args.write:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            print(f"wrote {target}")
        else:
            sys.stdout.write(text)
        return 0
    config: dict[str, Any] = {"kind": args.kind}
    for key in ("since", "until", "window_days", "guard", "margin", "tolerance", "min_train_rows", "run_id"):
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    result = retraining.run(_runtime(), config)
    event = result["event"]
    if args.json:
        _print_json(event)
    else:
        print(f"{event['kind']} retraining {event['request_id']}: {event['outcome']}  ({event['reason']})")
        for key, value in sorted(event["metrics"].items()):
            print(f"  {key:<22} {value:g}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mastra", description="Orchestrate AI agents: route, run, reflect, remember.")
    parser.add_argument("--home", help="data directory (default ~/.mastra; env MASTRA_HOME)")
    parser.add_argument(
        "--agents-dir", help="agent spec directory (default: the example agents; env MASTRA_AGENTS_DIR)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("chat", help="answer a message through the whole pipeline and show the trace")
    p.add_argument("message")
    p.add_argument("--user", default="local-user", help="user id (default: local-user)")
    p.add_argument("--thread", help="thread id to continue (default: start a new thread)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="serve the HTTP API on 127.0.0.1")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("agents", help="list the agents")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_agents)

    p = sub.add_parser("schema", help="print the agent spec JSON Schema")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("build-agents", help="compile the agent set ahead of time (for a Lambda layer)")
    p.add_argument("--out", required=True, help="directory to write the compiled set into")
    p.set_defaults(func=cmd_build_agents)

    p = sub.add_parser("validate", help="validate a directory of agent specs")
    p.add_argument("directory")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("invoke", help="run a Lambda handler in-process on an event (like `sam local invoke`)")
    p.add_argument("function", help="folder name under functions/, e.g. select_agent")
    p.add_argument("-e", "--event", required=True, help="event JSON file ('-' for stdin)")
    p.add_argument("--project-dir", help="project root (default: found from the current directory)")
    p.set_defaults(func=cmd_invoke)

    p = sub.add_parser("train", help="train a model and register it as a candidate (or start it on SageMaker)")
    p.add_argument("kind", help="the model kind (router or sentiment) or a screen (injection)")
    p.add_argument("--data", type=Path, help="labelled rows (JSONL): router {text, domain}, sentiment {text, label}")
    p.add_argument("--agents", type=Path, help="router: train from these agent spec files (with --data: both)")
    p.add_argument("--validation", type=Path, help="rows to report metrics on (JSONL)")
    p.add_argument("--hp", action="append", default=[], metavar="NAME=VALUE", help="a hyperparameter")
    p.add_argument("--promote", action="store_true", help="make the new version the champion at once")
    p.add_argument("--json", action="store_true")
    p.add_argument("--sagemaker", action="store_true", help="run as a SageMaker training job instead")
    p.add_argument("--bucket", help="S3 bucket for data and source (default: MASTRA_ARTIFACTS_BUCKET)")
    p.add_argument("--role", default="", help="the training job's IAM role ARN")
    p.add_argument("--image", default="", help="the framework container's ECR image URI")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="evaluate a model version, or a detector (pii, injection), on labelled rows")
    p.add_argument("kind", help="a model kind (router or sentiment), or a detector: pii, injection")
    p.add_argument("--data", type=Path, required=True, help="labelled rows (JSONL)")
    p.add_argument("--version", type=int, help="the version (default: the champion)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("models", help="the model registry: list versions, promote, roll back")
    p.add_argument("action", choices=["list", "promote", "rollback"])
    p.add_argument("kind", help="the model kind, e.g. router or sentiment")
    p.add_argument("--version", type=int, help="the version to promote or roll back to")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("pipeline", help="the request pipeline's Step Functions definition")
    p.add_argument("format", choices=["asl"])
    p.add_argument("--write", action="store_true", help="write it to --output")
    p.add_argument("--check", action="store_true", help="fail if --output differs")
    p.add_argument("--output", default="statemachines/request_pipeline.asl.json")
    p.set_defaults(func=cmd_pipeline)

    p = sub.add_parser("events", help="the pipeline events' JSON Schemas (docs/events/)")
    p.add_argument("format", choices=["schemas"])
    p.add_argument("--write", action="store_true", help="write them to --output")
    p.add_argument("--check", action="store_true", help="fail if --output differs")
    p.add_argument("--output", default="docs/events")
    p.set_defaults(func=cmd_event_schemas)

    from mastra.stats.cli import add_commands as add_stats_commands

    add_stats_commands(sub)
    from mastra.async_requests.cli import add_commands as add_requests_commands

    add_requests_commands(sub)
    p = sub.add_parser("retrain", help="retrain a model from feedback (the retraining state machine, locally)")
    p.add_argument("action", nargs="?", choices=["run", "asl"], default="run", help="asl: its Step Functions document")
    p.add_argument("--kind", default="router", help="the model kind (router)")
    p.add_argument("--since", type=_when, help="outcomes updated from (unix seconds or ISO date)")
    p.add_argument("--until", type=_when, help="outcomes updated until (default: now)")
    p.add_argument("--window-days", type=float, help="since = until - this many days (default 7)")
    p.add_argument("--guard", help="labelled guard rows (JSONL) the candidate must not get worse on")
    p.add_argument("--margin", type=float, help="held-out accuracy the candidate must gain (default 0.02)")
    p.add_argument("--tolerance", type=float, help="guard accuracy the candidate may lose (default 0.02)")
    p.add_argument("--min-train-rows", type=int, help="fewer derived rows: skip (default 20)")
    p.add_argument("--run-id", help="the run's id (default: generated)")
    p.add_argument("--json", action="store_true", help="print the retraining.finished event")
    p.add_argument("--write", action="store_true", help="asl: write it to --output")
    p.add_argument("--check", action="store_true", help="asl: fail if --output differs")
    p.add_argument("--output", default="statemachines/retraining.asl.json")
    p.set_defaults(func=cmd_retrain)

    from mastra.memory import cli as memory_cli  # argparse wiring only: its commands import lazily

    memory_cli.add_commands(sub)

    from mastra.prompts.cli import add_commands as add_prompt_commands

    add_prompt_commands(sub)

    from mastra.feedback.cli import add_commands as add_feedback_commands

    add_feedback_commands(sub)

    from mastra.security.cli import add_commands as add_key_commands

    add_key_commands(sub)

    from mastra.privacy.cli import add_commands as add_privacy_commands

    add_privacy_commands(sub)
    return parser


def _fail(code: str, message: str, status: int, as_json: bool) -> int:
    """Report an error on stderr (as JSON under ``--json``) and return the exit status."""
    print(json.dumps({"error": code, "message": message}) if as_json else f"error: {message}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.home:
        os.environ["MASTRA_HOME"] = args.home
    if args.agents_dir:
        os.environ["MASTRA_AGENTS_DIR"] = args.agents_dir
    from pydantic import ValidationError

    from mastra.errors import MastraError

    as_json = bool(getattr(args, "json", False))
    try:
        return int(args.func(args))
    except MastraError as exc:
        return _fail(exc.code, exc.message, 2 if exc.category == "user" else 1, as_json)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _fail("invalid_request", reasons, 2, as_json)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
