"""Quality of the offline defaults: routing, retrieval, sentiment and reflection.

    python benchmarks/accuracy.py [--json]

- Routing: CLINC150 validation (in-scope accuracy, a rejected in-scope request counts as wrong;
  the 200-utterance sample the test uses; expected calibration error; out-of-scope to fallback).
- Retrieval: the share of knowledge-base questions answered with the right passage, on the
  development set and on the held-out set.
- Sentiment: SST-2 validation (positive/negative accuracy, neutral rate) and the neutral rate on
  CLINC150 requests.
- Reflection: on the 200-utterance sample through the whole pipeline, how often a retry happens
  and how often the final agent is right.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import itertools

from benchlib import REPO, SHARED_DATA, read_jsonl
from mastra.agents.agentset import AgentSet
from mastra.evaluation import knowledge_accuracy, routing_accuracy
from mastra.models import ChatRequest
from mastra.runtime import Runtime
from mastra.sentiment import DefaultSentiment
from mastra.settings import EXAMPLE_AGENTS_DIR, Settings
from mastra.spec import AgentRegistry

FLOOR = 0.30


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (confidence > lo) & (confidence <= hi)
        if m.any():
            total += m.mean() * abs(confidence[m].mean() - correct[m].mean())
    return float(total)


def routing(agents: AgentSet) -> dict:
    val = read_jsonl(SHARED_DATA / "clinc150" / "val.jsonl")
    ins = [r for r in val if r["domain"] != "oos"]
    oos = [r for r in val if r["domain"] == "oos"]
    t0 = time.perf_counter()
    chosen = [agents.router.route(r["text"], floor=FLOOR) for r in ins]
    ms = (time.perf_counter() - t0) * 1000 / len(ins)
    probs = [agents.router.probabilities(r["text"]) for r in ins]
    conf = np.array([p.max() for p in probs])
    top_right = np.array(
        [agents.router.agent_ids[int(p.argmax())] == r["domain"] for p, r in zip(probs, ins, strict=True)]
    )
    sample = random.Random(2).sample(ins, 200)  # the sample tests/functional/test_accuracy.py uses
    return {
        "in_scope_accuracy": round(
            float(np.mean([s.agent_id == r["domain"] for s, r in zip(chosen, ins, strict=True)])), 4
        ),
        "sample_200_accuracy": round(routing_accuracy(agents, sample, floor=FLOOR), 4),
        "expected_calibration_error": round(ece(conf, top_right), 4),
        "oos_to_fallback": round(
            float(np.mean([agents.router.route(r["text"], floor=FLOOR).agent_id == "fallback" for r in oos])), 4
        ),
        "n_in_scope": len(ins),
        "n_oos": len(oos),
        "ms_per_item": round(ms, 4),
    }


def question_sets() -> dict[str, list[dict]]:
    data = REPO / "tests" / "data"
    return {
        "development": [q for f in sorted((data / "kb_questions").glob("*.jsonl")) for q in read_jsonl(f)],
        "held_out": read_jsonl(data / "kb_questions_holdout.jsonl"),
    }


def retrieval(agents: AgentSet) -> dict:
    """The named agent's offline model, asked directly (the issue's measure)."""
    return {
        name: {"n": len(qs), "right_passage": round(knowledge_accuracy(agents, qs), 4)}
        for name, qs in question_sets().items()
    }


def retrieval_end_to_end() -> dict:
    """The same questions through the whole pipeline: routing, reflection and retry included."""
    out = {}
    with tempfile.TemporaryDirectory() as home:
        rt = Runtime(Settings.from_env(home=home))
        for name, qs in question_sets().items():
            right = routed = 0
            for q in qs:
                spec = rt.agents.registry.get(q["agent"])
                passage = next(p for p in spec.knowledge.passages if p.id == q["passage"])
                response = rt.chat(ChatRequest(message=q["question"]))
                right += passage.text in response.answer
                routed += response.trace.executions[0].agent_id == q["agent"]
            out[name] = {"n": len(qs), "right_passage": round(right / len(qs), 4), "routed": round(routed / len(qs), 4)}
        rt.store.close()
    return out


def sentiment() -> dict:
    model = DefaultSentiment()
    sst = read_jsonl(SHARED_DATA / "sst2" / "val.jsonl")
    results = [model.analyze(r["text"]) for r in sst]
    right = [(s.score > 0) == bool(r["label"]) for s, r in zip(results, sst, strict=True)]
    decided = [s.label != "neutral" for s in results]
    clinc = [model.analyze(r["text"]).label for r in read_jsonl(SHARED_DATA / "clinc150" / "val.jsonl")]
    return {
        "sst2_val_accuracy": round(float(np.mean(right)), 4),
        "sst2_neutral_rate": round(1 - float(np.mean(decided)), 4),
        "sst2_accuracy_when_not_neutral": round(
            float(np.mean([r for r, d in zip(right, decided, strict=True) if d])), 4
        ),
        "clinc_val_labels": {k: round(clinc.count(k) / len(clinc), 4) for k in ("negative", "neutral", "positive")},
    }


def pipeline() -> dict:
    rows = [r for r in read_jsonl(SHARED_DATA / "clinc150" / "val.jsonl") if r["domain"] != "oos"]
    sample = random.Random(2).sample(rows, 200)
    with tempfile.TemporaryDirectory() as home:
        rt = Runtime(Settings.from_env(home=home))
        responses = [rt.chat(ChatRequest(message=r["text"])) for r in sample]
        rt.store.close()
    retried = [len(x.attempts) > 1 for x in responses]
    return {
        "n": len(sample),
        "retry_rate": round(float(np.mean(retried)), 4),
        "first_agent_right": round(
            float(
                np.mean([x.trace.executions[0].agent_id == r["domain"] for x, r in zip(responses, sample, strict=True)])
            ),
            4,
        ),
        "final_agent_right": round(
            float(np.mean([x.agent == r["domain"] for x, r in zip(responses, sample, strict=True)])), 4
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    agents = AgentSet.compile(AgentRegistry.from_directory(EXAMPLE_AGENTS_DIR))
    results = {
        "routing": routing(agents),
        "retrieval": retrieval(agents),
        "retrieval_end_to_end": retrieval_end_to_end(),
        "sentiment": sentiment(),
        "pipeline": pipeline(),
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return
    r = results["routing"]
    print(
        f"routing   in-scope {r['in_scope_accuracy']:.1%} of {r['n_in_scope']} · "
        f"200-sample {r['sample_200_accuracy']:.1%} · ECE {r['expected_calibration_error']:.3f} · "
        f"oos→fallback {r['oos_to_fallback']:.1%} · {r['ms_per_item']:.3f} ms/item"
    )
    for name, v in results["retrieval"].items():
        e2e = results["retrieval_end_to_end"][name]
        print(
            f"retrieval {name}: right passage {v['right_passage']:.1%} of {v['n']} (agent asked directly); "
            f"through the pipeline {e2e['right_passage']:.1%} (routed to that agent {e2e['routed']:.1%})"
        )
    s = results["sentiment"]
    print(
        f"sentiment SST-2 {s['sst2_val_accuracy']:.3f} (neutral {s['sst2_neutral_rate']:.1%}, "
        f"{s['sst2_accuracy_when_not_neutral']:.3f} when not neutral) · CLINC labels {s['clinc_val_labels']}"
    )
    p = results["pipeline"]
    print(
        f"pipeline  200-sample: first agent right {p['first_agent_right']:.1%}, "
        f"after reflection {p['final_agent_right']:.1%}, retry rate {p['retry_rate']:.1%}"
    )


if __name__ == "__main__":
    main()
