"""Cold-start cost of each Lambda function: handler import and first invocation, in fresh processes.

    python benchmarks/import_times.py [--runs 5] [--json PATH]

Each figure is the median over ``--runs`` fresh interpreters (after one discarded run that fills
a private bytecode cache, as the layer's pre-compiled ``.pyc`` files do on Lambda):

- **import**: ``import app`` with ``functions/<name>`` and the layer code (``layers/core``) first
  on ``sys.path``, as Lambda's INIT phase loads ``app.handler``;
- **first call**: the handler on its sample event (``events/<name>.json``; the API function gets
  ``events/api_chat.json``) in a fresh ``MASTRA_HOME``, so it builds every component it needs.
  The compiled agent set is shipped prebuilt, as the CoreLayer build does
  (``mastra build-agents``), so it is loaded, not compiled;
- **second call**: the same event again (warm).

Lambda runs these with ``MASTRA_STORE=dynamodb``, ``MASTRA_EVENTS=sqs`` and (API)
``MASTRA_PIPELINE=stepfunctions``; no AWS is reachable here, so first calls use the local
backends (SQLite, in-process pipeline) and the API's first call runs the whole pipeline
in-process. What boto3 adds on AWS is measured on its own below (import, first client).

Library probes, also in fresh interpreters: boto3, a boto3 client, FastAPI + Mangum, Powertools'
Logger, and Powertools' ``Tracer`` (is it worth its cold start?). ``Tracer()`` is measured as in
Lambda (``LAMBDA_TASK_ROOT`` set: tracing on, aws-xray-sdk imported and botocore patched), with
``POWERTOOLS_TRACE_DISABLED=true``, with boto3 already imported, and outside Lambda (where
Powertools disables tracing by itself).

The ``-X importtime`` columns sum each top-level package's own import time during a step (one
extra run; that flag slows imports a little, so these columns do not add up to the medians).
Run on demand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LAYER = REPO / "layers" / "core"
FUNCTIONS = ["api", "select_agent", "analyze_sentiment", "execute_agent", "reflect", "remember", "event_consumer"]
EVENT_OF = {"api": "api_chat"}

# Runs in the child: timed steps, one JSON line of milliseconds on stdout.
CHILD = r"""
import json, sys, time
steps = json.loads(sys.argv[1])
namespace = {}
exec(steps.pop("setup", ""), namespace)
out = {}
for label, code in steps.items():
    sys.stderr.write("STEP " + label + "\n")
    sys.stderr.flush()
    t0 = time.perf_counter()
    exec(code, namespace)
    out[label] = (time.perf_counter() - t0) * 1000
sys.__stdout__.write("\nRESULT " + json.dumps(out) + "\n")
"""

FUNCTION_SETUP = """
import json, sys, uuid
sys.path[:0] = [{fn_dir!r}, {layer!r}]
event = json.load(open({event!r}))

class Context:
    function_name = {name!r}
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + {name!r}
    log_group_name = "/aws/lambda/" + {name!r}
    log_stream_name = "local"
    def __init__(self):
        self.aws_request_id = str(uuid.uuid4())
    def get_remaining_time_in_millis(self):
        return 30000
"""


def base_env(pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MASTRA_", "POWERTOOLS_", "AWS_", "LAMBDA_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up run must fill the cache
    env.update(
        PYTHONPYCACHEPREFIX=str(pycache),  # a private bytecode cache: nothing is written into the repo
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_SERVICE_NAME="mastra",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    return env


def child(steps: dict[str, str], env: dict[str, str], importtime: bool = False) -> tuple[dict[str, float], str]:
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", CHILD, json.dumps(steps)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if p.returncode != 0:
        raise RuntimeError(f"child failed ({p.returncode}):\n{p.stderr[-3000:]}")
    line = next(x for x in reversed(p.stdout.splitlines()) if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :]), p.stderr


def median_of(runs: int, steps: dict[str, str], env_of: Any) -> dict[str, Any]:
    child(steps, env_of())  # discarded: fills the bytecode cache
    samples = [child(steps, env_of())[0] for _ in range(runs)]
    return {
        label: {
            "median": round(statistics.median(s[label] for s in samples), 1),
            "min": round(min(s[label] for s in samples), 1),
        }
        for label in samples[0]
    }


def top_imports(stderr: str, step: str, n: int = 6) -> list[tuple[str, float]]:
    """Packages by import time spent in their own modules during ``step`` (``-X importtime``'s self
    time summed per top-level package, ms): where an import's time actually goes."""
    totals: dict[str, float] = {}
    current = None
    for line in stderr.splitlines():
        if line.startswith("STEP "):
            current = line[len("STEP ") :]
            continue
        if current != step or not line.startswith("import time:") or "cumulative" in line:
            continue
        own, _, name = line[len("import time:") :].split("|")
        top = name.strip().split(".")[0]
        totals[top] = totals.get(top, 0.0) + int(own) / 1000
    return sorted(((k, round(v, 1)) for k, v in totals.items()), key=lambda kv: -kv[1])[:n]


def function_steps(name: str) -> dict[str, str]:
    event = REPO / "events" / f"{EVENT_OF.get(name, name)}.json"
    setup = FUNCTION_SETUP.format(fn_dir=str(REPO / "functions" / name), layer=str(LAYER), event=str(event), name=name)
    return {
        "setup": setup,
        "import": "import app",
        "first call": "first = app.handler(event, Context())",
        "second call": "second = app.handler(event, Context())",
    }


def measure_functions(runs: int, tmp: Path, pycache: Path, prebuilt: Path) -> dict[str, Any]:
    out = {}
    for name in FUNCTIONS:

        def env_of(name: str = name) -> dict[str, str]:
            env = base_env(pycache)
            env.update(
                MASTRA_HOME=tempfile.mkdtemp(prefix="home-", dir=tmp),
                MASTRA_PREBUILT_DIR=str(prebuilt),
                LAMBDA_TASK_ROOT=str(REPO / "functions" / name),
                AWS_LAMBDA_FUNCTION_NAME=name,
            )
            return env

        steps = function_steps(name)
        out[name] = median_of(runs, steps, env_of)
        out[name]["top_imports"] = top_imports(child(steps, env_of(), True)[1], "import")
    return out


PROBES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    # label: (steps, extra environment)
    "boto3": ({"import": "import boto3"}, {}),
    "boto3 + first client (dynamodb)": (
        {"import": "import boto3", "first client": "boto3.session.Session().client('dynamodb')"},
        {},
    ),
    "fastapi + mangum": ({"import": "import fastapi, mangum"}, {}),
    "pydantic": ({"import": "import pydantic"}, {}),
    "numpy": ({"import": "import numpy"}, {}),
    "powertools Logger": ({"import": "from aws_lambda_powertools import Logger", "construct": "Logger()"}, {}),
    "powertools Tracer, in Lambda (tracing on)": (
        {"import": "from aws_lambda_powertools import Tracer", "construct": "Tracer()"},
        {"LAMBDA_TASK_ROOT": "/var/task"},
    ),
    "powertools Tracer, in Lambda, boto3 imported first": (
        {"setup": "import boto3", "import": "from aws_lambda_powertools import Tracer", "construct": "Tracer()"},
        {"LAMBDA_TASK_ROOT": "/var/task"},
    ),
    "powertools Tracer, POWERTOOLS_TRACE_DISABLED=true": (
        {"import": "from aws_lambda_powertools import Tracer", "construct": "Tracer()"},
        {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"},
    ),
    "powertools Tracer, outside Lambda (auto-disabled)": (
        {"import": "from aws_lambda_powertools import Tracer", "construct": "Tracer()"},
        {},
    ),
}


def measure_probes(runs: int, pycache: Path) -> dict[str, Any]:
    out = {}
    for label, (steps, extra) in PROBES.items():
        out[label] = median_of(runs, steps, lambda extra=extra: {**base_env(pycache), **extra})
        if "construct" in steps:  # what the construction itself imports
            stderr = child(steps, {**base_env(pycache), **extra}, True)[1]
            out[label]["top_imports"] = top_imports(stderr, "construct")
    return out


def build_prebuilt(where: Path, pycache: Path) -> Path:
    out = where / "prebuilt"
    env = {**base_env(pycache), "MASTRA_HOME": str(where / "home")}
    subprocess.run(
        [str(Path(sys.executable).with_name("mastra")), "build-agents", "--out", str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    return out


def report(results: dict[str, Any]) -> None:
    runs = results["runs"]
    print(f"\n## Lambda handlers: fresh process, median of {runs} runs (ms)")
    print("| function | import app | first call | second call | import time by package (own modules, ms) |")
    print("|---|---:|---:|---:|---|")
    for name, r in results["functions"].items():
        top = ", ".join(f"{m} {t:g}" for m, t in r["top_imports"])
        print(
            f"| {name} | {r['import']['median']:.0f} | {r['first call']['median']:.0f} "
            f"| {r['second call']['median']:.1f} | {top} |"
        )
    print(f"\n## libraries: fresh process, median of {runs} runs (ms)")
    print("| what | import | construct / first client | what the construction imports (own modules, ms) |")
    print("|---|---:|---:|---|")
    for label, r in results["probes"].items():
        second = r.get("construct", r.get("first client"))
        top = ", ".join(f"{m} {t:g}" for m, t in r.get("top_imports", []))
        then = f"{second['median']:.1f}" if second else ""
        print(f"| {label} | {r['import']['median']:.1f} | {then} | {top} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure (median reported)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results to this JSON file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mastra-import-times-") as tmp:
        pycache = Path(tmp) / "pycache"
        prebuilt = build_prebuilt(Path(tmp), pycache)
        results = {
            "runs": args.runs,
            "python": sys.version.split()[0],
            "functions": measure_functions(args.runs, Path(tmp), pycache, prebuilt),
            "probes": measure_probes(args.runs, pycache),
        }
    report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
