"""Calibrating reflection v2: accept rate on good answers, catch rate on wrong ones, and routing.

    python benchmarks/reflection.py [--json out.json] [--clinc N]

- Knowledge-base questions (tests/data/kb_questions*, 137): each answered by its own agent (good:
  should be accepted) and by a random other agent (wrong: should be caught).
- CLINC150 validation, in scope (../shared/data; a seeded sample of N, default all 3,000): the
  router alone, reflection v1's single retry, and v2's repair loop (the share whose kept answer
  comes from the right agent: retries must not regress routing), with v2's accept rate on
  correctly routed first answers and catch rate on misrouted ones.
- Injected faults: good answers with a leak (email, phone, card, key, system prompt) or a cheerful
  tail for an upset user: catch rates, and false alarms on the untouched answers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import REPO, SHARED_DATA, read_jsonl
from mastra.reflection.calibration import clinc_figures, injected_figures, kb_figures
from mastra.runtime import Runtime
from mastra.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--clinc", type=int, default=0, help="sample size of CLINC150 val (0: all in-scope rows)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        rt = Runtime(Settings.from_env(home=home))
        data = REPO / "tests" / "data"
        kb = [r for f in sorted((data / "kb_questions").glob("*.jsonl")) for r in read_jsonl(f)]
        kb += read_jsonl(data / "kb_questions_holdout.jsonl")
        rows = [r for r in read_jsonl(SHARED_DATA / "clinc150" / "val.jsonl") if r["domain"] != "oos"]
        if args.clinc:
            rows = random.Random(6).sample(rows, args.clinc)
        started = time.perf_counter()
        out = {
            "weights": rt.reflector.weights,
            "threshold": rt.reflector.threshold,
            "kb": kb_figures(rt, kb),
            "injected": injected_figures(rt, kb),
            "clinc_val": clinc_figures(rt, rows),
        }
        out["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
