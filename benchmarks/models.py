"""The learned request-path models against the issue's targets, with the baselines beside them.

    python benchmarks/models.py [--json] [--skip-sentiment-training]

Every figure is on a validation split the model never trained or tuned on:

- Routing, CLINC150 val (3,100 rows; a rejected in-scope request counts as wrong):
  the router trained on CLINC150 train (what `mastra train router --data` does); the cold-start
  router from specs alone (`clinc_coldstart/`: per domain a hand-written name and one-line
  description, the 15 intent names as capabilities, 5 train utterances as examples, and the
  example fallback agent); the example agents' router (version 0 on a fresh install); and the
  TF-IDF ridge router on the same specs (the previous default, still the fallback when the encoder
  cannot run).
- Sentiment, SST-2 val (1,000 unseen full sentences): version 0 (the encoder's own head), a
  logistic head trained on SST-2 train (what `mastra train sentiment --data` does), and the
  hashed word n-gram model that was the default before the encoder. Beside accuracy: the neutral
  rate on SST-2, on CLINC150 requests, and accuracy on the hand-written chat messages.
- Budget: encoder + router + sentiment per request (one thread, cache miss), and load time in a
  fresh process. Whole-pipeline warm p50 and cold start are `benchmarks/pipeline_latency.py`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from baselines.linear_sentiment import LinearSentiment
from benchlib import REPO, SHARED_DATA, read_jsonl, summary
from mastra.agents.agentset import AgentSet
from mastra.encoder import MessageEncoder
from mastra.selection.fit import fit_router
from mastra.selection.prototype import PrototypeRouter
from mastra.sentiment.head import BUILTIN, SentimentHead
from mastra.settings import EXAMPLE_AGENTS_DIR
from mastra.spec import AgentRegistry
from mastra.training.evaluation import router_metrics
from mastra.training.sentiment_head import evaluate as sentiment_metrics
from mastra.training.sentiment_head import texts_and_labels

FLOOR = 0.0  # the targets are about the model and its out-of-scope rule, not the pipeline's confidence floor
COLDSTART = Path(__file__).parent / "clinc_coldstart"
KEYS = ("in_scope_accuracy", "oos_recall", "ece", "ms_per_item")


def clinc(split: str) -> list[dict[str, Any]]:
    return read_jsonl(SHARED_DATA / "clinc150" / f"{split}.jsonl")


def routing(encoder: MessageEncoder) -> dict[str, Any]:
    val = clinc("val")

    def prototype(router: PrototypeRouter) -> dict[str, Any]:
        m = router_metrics(lambda t: router.route_embedding(encoder.encode(t).embedding, floor=FLOOR), val)
        return {k: m[k] for k in KEYS}

    out: dict[str, Any] = {}
    started = time.perf_counter()
    trained, _ = fit_router(
        encoder.embed, rows=clinc("train"), trained_on=encoder.was_trained_on, encoder=encoder.digest
    )
    out["trained on CLINC150 train"] = prototype(trained) | {"fit_s": round(time.perf_counter() - started, 1)}
    for name, directory in (("cold start: specs alone", COLDSTART), ("example agents (v0)", EXAMPLE_AGENTS_DIR)):
        agents = AgentSet.compile(AgentRegistry.from_directory(directory), encoder=encoder)
        out[name] = prototype(agents.spec_router(encoder))
        tfidf = router_metrics(lambda t, a=agents: a.router.route(t, floor=FLOOR), val)
        out[f"{name}, TF-IDF ridge baseline"] = {k: tfidf[k] for k in KEYS}
    return out


def sentiment(encoder: MessageEncoder, train_head: bool) -> dict[str, Any]:
    val = read_jsonl(SHARED_DATA / "sst2" / "val.jsonl")
    requests = [r["text"] for r in clinc("val") if r["domain"] != "oos"]
    chat = read_jsonl(REPO / "tests" / "data" / "chat_sentiment.jsonl")

    def extra(analyze: Any) -> dict[str, float]:
        return {
            "clinc_neutral_rate": round(float(np.mean([analyze(t).label == "neutral" for t in requests])), 4),
            "chat_accuracy": round(float(np.mean([analyze(r["text"]).label == r["sentiment"] for r in chat])), 4),
        }

    def head_row(head: SentimentHead) -> dict[str, Any]:
        started = time.perf_counter()
        m = sentiment_metrics(head, encoder, val)
        m["ms_per_item"] = round((time.perf_counter() - started) * 1000 / len(val), 4)
        return m | extra(lambda t: head.analyze(encoder.encode(t)))

    out: dict[str, Any] = {"version 0: the encoder's head": head_row(SentimentHead.load(BUILTIN))}
    if train_head:
        from mastra.selection.fit import fit_logistic

        texts, labels = texts_and_labels(read_jsonl(SHARED_DATA / "sst2" / "train.jsonl"))
        started = time.perf_counter()
        w = fit_logistic(encoder.embed(texts).astype(np.float64), labels.astype(float), l2=1.0)
        fit_s = round(time.perf_counter() - started, 1)
        head = SentimentHead(0.8, encoder.digest, w[:-1], float(w[-1]), "encoder-logistic")
        out["logistic head trained on SST-2 train"] = head_row(head) | {"fit_s": fit_s}
    linear = LinearSentiment.load()
    _, labels = texts_and_labels(val)
    started = time.perf_counter()
    scores = np.array([linear.analyze(r["text"]).score for r in val])
    ms = (time.perf_counter() - started) * 1000 / len(val)
    out["hashed word n-grams baseline"] = {
        "accuracy": round(float(np.mean((scores > 0) == labels)), 4),
        "neutral_rate": round(float(np.mean([linear.analyze(r["text"]).label == "neutral" for r in val])), 4),
        "ms_per_item": round(ms, 4),
    } | extra(linear.analyze)
    return out


def budget(encoder: MessageEncoder) -> dict[str, Any]:
    """Per request: one encoder pass (cache miss), the router and the sentiment head."""
    router = AgentSet.compile(AgentRegistry.from_directory(EXAMPLE_AGENTS_DIR), encoder=encoder).spec_router(encoder)
    head = SentimentHead.load(BUILTIN)
    fresh = MessageEncoder(threads=1, cache_size=1)
    texts = list(dict.fromkeys(r["text"] for r in clinc("val")))[:2000]
    times = []
    for text in texts:
        started = time.perf_counter()
        e = fresh.encode(text)
        router.route_embedding(e.embedding, floor=0.3)
        head.analyze(e)
        times.append((time.perf_counter() - started) * 1000)
    load = (
        "import time; t = time.perf_counter(); from mastra.encoder import MessageEncoder; "
        "from mastra.sentiment.head import BUILTIN, SentimentHead; e = MessageEncoder(); SentimentHead.load(BUILTIN); "
        "e.encode('warm up'); print((time.perf_counter() - t) * 1000)"
    )
    loads = [float(subprocess.check_output([sys.executable, "-c", load], text=True)) for _ in range(5)]
    return {"request_ms": summary(times[100:]), "load_ms_median_of_5": round(statistics.median(loads), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-sentiment-training", action="store_true", help="saves ~1 minute")
    args = parser.parse_args()
    encoder = MessageEncoder()
    results = {
        "routing": routing(encoder),
        "sentiment": sentiment(encoder, not args.skip_sentiment_training),
        "budget": budget(encoder),
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print("Routing, CLINC150 val (target: >= 95% in-scope and >= 80% oos recall together, ECE <= 0.05;")
    print("cold start >= 82% in-scope)")
    print(f"  {'router':48} {'in-scope':>9} {'oos rec.':>9} {'ECE':>7} {'ms/item':>8}")
    for name, r in results["routing"].items():
        fit = f"   (fit {r['fit_s']} s)" if "fit_s" in r else ""
        print(
            f"  {name:48} {r['in_scope_accuracy']:9.1%} {r['oos_recall']:9.1%} {r['ece'] or 0:7.3f} "
            f"{r['ms_per_item']:8.3f}{fit}"
        )
    print("\nSentiment, SST-2 val (target >= 0.86 positive/negative accuracy; neutral reported beside it)")
    print(f"  {'model':40} {'accuracy':>8} {'neutral':>8} {'CLINC neutral':>14} {'chat 3-way':>10} {'ms/item':>8}")
    for name, s in results["sentiment"].items():
        print(
            f"  {name:40} {s['accuracy']:8.3f} {s['neutral_rate']:8.1%} {s['clinc_neutral_rate']:14.1%} "
            f"{s['chat_accuracy']:10.1%} {s['ms_per_item']:8.3f}"
        )
    b = results["budget"]
    r = b["request_ms"]
    print(
        f"\nBudget (<= 1.5 ms per request, loaded in <= 300 ms): encoder + router + sentiment "
        f"p50 {r['p50']:.3f} ms, p99 {r['p99']:.3f} ms; load in a fresh process {b['load_ms_median_of_5']} ms"
    )


if __name__ == "__main__":
    main()
