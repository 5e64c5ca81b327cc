"""Reflection v2 on labelled data: the calibration figures hold (``benchmarks/reflection.py`` has all of them)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.conftest import shared_data

from mastra.reflection.calibration import clinc_figures, injected_figures, kb_figures
from mastra.runtime import Runtime

DATA = Path(__file__).resolve().parents[1] / "data"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def kb_questions() -> list[dict]:
    rows = [q for f in sorted((DATA / "kb_questions").glob("*.jsonl")) for q in read_jsonl(f)]
    return rows + read_jsonl(DATA / "kb_questions_holdout.jsonl")


def test_good_answers_pass_and_wrong_agent_answers_are_caught(runtime: Runtime) -> None:
    figures = kb_figures(runtime, kb_questions())
    # Measured 0.905 / 0.927; reflection v1 (0.6 relevance + 0.4 fit, threshold 0.30): 0.898 / 0.898.
    assert figures["good_pass_rate"] >= 0.898 and figures["wrong_agent_fail_rate"] >= 0.90, figures


def test_injected_leaks_and_cheerful_replies_are_caught_without_false_alarms(runtime: Runtime) -> None:
    figures = injected_figures(runtime, kb_questions())
    assert figures["leak_catch_rate"] == 1.0 and figures["safety_false_alarm_rate"] == 0.0, figures
    assert figures["tone_catch_rate"] >= 0.95 and figures["tone_false_alarm_rate_upset_user"] <= 0.02, figures


def test_the_repair_loop_does_not_regress_routing_on_clinc150(runtime: Runtime) -> None:
    rows = [r for r in read_jsonl(shared_data("clinc150", "val.jsonl")) if r["domain"] != "oos"]
    figures = clinc_figures(runtime, random.Random(6).sample(rows, 300))
    assert figures["v2_kept_accuracy"] >= figures["v1_kept_accuracy"], figures
    assert figures["mean_attempts"] <= 1.1, figures
