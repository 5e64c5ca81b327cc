"""Quality of the offline defaults end to end: retrieval and reflection.

    python benchmarks/accuracy.py [--json]

(The learned router and sentiment models against their targets: ``benchmarks/models.py``.)

- Retrieval: the share of knowledge-base questions answered with the right passage, on the
  development set and on the held-out set.
- Reflection: on 200 random in-scope CLINC150 validation utterances through the whole pipeline,
  how often the first agent is right, how often a retry happens and how often the final agent is right.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from benchlib import REPO, SHARED_DATA, read_jsonl
from mastra.agents.agentset import AgentSet
from mastra.evaluation import knowledge_accuracy
from mastra.models import ChatRequest
from mastra.runtime import Runtime
from mastra.settings import EXAMPLE_AGENTS_DIR, Settings
from mastra.spec import AgentRegistry


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
        "retrieval": retrieval(agents),
        "retrieval_end_to_end": retrieval_end_to_end(),
        "pipeline": pipeline(),
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for name, v in results["retrieval"].items():
        e2e = results["retrieval_end_to_end"][name]
        print(
            f"retrieval {name}: right passage {v['right_passage']:.1%} of {v['n']} (agent asked directly); "
            f"through the pipeline {e2e['right_passage']:.1%} (routed to that agent {e2e['routed']:.1%})"
        )
    p = results["pipeline"]
    print(
        f"pipeline  200-sample: first agent right {p['first_agent_right']:.1%}, "
        f"after reflection {p['final_agent_right']:.1%}, retry rate {p['retry_rate']:.1%}"
    )


if __name__ == "__main__":
    main()
