"""How similar must two consecutive user messages be to count as a rephrase (the answer missed)?

CLINC150 validation split (``/work/shared/data/clinc150/val.jsonl``), encoded with the shipped
message encoder and packed/unpacked through memory's int8 vectors, exactly as
``FeedbackService.on_turn`` compares them. Pairs of the same intent stand in for "the same request
reworded"; pairs of the same domain but another intent for "a related follow-up" (must not be
counted as a miss); pairs of different domains for unrelated messages. The threshold keeps the
follow-up false-positive rate at or under 5 %.

    PYTHONPATH=layers/core python benchmarks/rephrase_threshold.py [--per-intent 20]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from mastra.encoder import MessageEncoder
from mastra.memory.vectors import pack, unpack_many

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "clinc150" / "val.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-intent", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=20000)
    ap.add_argument("--max-fpr", type=float, default=0.05)
    args = ap.parse_args()
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["intent"] != "oos"]
    by_intent: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_intent.setdefault(r["intent"], []).append(r)
    rows = [r for group in by_intent.values() for r in group[: args.per_intent]]
    enc = MessageEncoder()
    blobs = [pack(enc.encode(r["text"]).embedding, enc.digest) for r in rows]
    m, _ = unpack_many(blobs, enc.digest, enc.dim)
    rng = random.Random(7)
    same, domain, other = [], [], []
    n = len(rows)
    while min(len(same), len(domain), len(other)) < args.pairs:
        i, j = rng.randrange(n), rng.randrange(n)
        if i == j:
            continue
        c = float(m[i] @ m[j])
        a, b = rows[i], rows[j]
        if a["intent"] == b["intent"]:
            same.append(c)
        elif a["domain"] == b["domain"]:
            domain.append(c)
        else:
            other.append(c)
    s, d, o = (np.array(x[: args.pairs]) for x in (same, domain, other))
    for name, x in (("same intent", s), ("same domain, other intent", d), ("other domain", o)):
        q = np.percentile(x, [5, 25, 50, 75, 95])
        print(f"{name:28s} n={len(x):6d}  p5={q[0]:.3f} p25={q[1]:.3f} p50={q[2]:.3f} p75={q[3]:.3f} p95={q[4]:.3f}")
    print("threshold  recall(same intent)  FPR(same domain)  FPR(other domain)")
    for t in np.arange(0.50, 0.96, 0.05):
        print(
            f"  {t:.2f}       {np.mean(s >= t):.3f}               {np.mean(d >= t):.3f}"
            f"            {np.mean(o >= t):.3f}"
        )
    t = float(np.percentile(d, 100 * (1 - args.max_fpr)))
    print(f"threshold at FPR(same domain) = {args.max_fpr:.0%}: {t:.3f} (recall {np.mean(s >= t):.3f})")
    print(f"median of same-intent pairs: {np.median(s):.3f} (FPR same domain {np.mean(d >= np.median(s)):.4f})")

    # Same-intent pairs include different requests of one kind ("transfer 200" / "now transfer 50"):
    # hand-made pairs show where true rewordings and same-kind follow-ups fall.
    def cos(a: str, b: str) -> float:
        return float(enc.encode(a).embedding @ enc.encode(b).embedding)

    print("rewordings        ", sorted(round(cos(a, b), 3) for a, b in REWORDINGS))
    print("follow-ups        ", sorted(round(cos(a, b), 3) for a, b in FOLLOW_UPS))


REWORDINGS = [
    ("how do i transfer money to my savings account", "how can i move money into my savings"),
    ("what is my checking balance", "how much money is in my checking account"),
    ("what is 12 times 7", "can you multiply 12 by 7"),
    ("book a table for two tonight", "i need a dinner reservation for 2 people this evening"),
    ("translate good morning to spanish", "how do you say good morning in spanish"),
    ("what's the weather tomorrow", "will it rain tomorrow"),
    ("my card was stolen", "i need to report my credit card as stolen"),
    ("set an alarm for 7am", "wake me up at 7 in the morning"),
    ("how long does it take to get a new passport", "what is the processing time for a passport renewal"),
    ("that's not what i asked, how do i transfer money to savings", "how do i transfer money to savings"),
]
FOLLOW_UPS = [
    ("how do i transfer money to my savings account", "what is my checking balance"),
    ("what is 12 times 7", "and what is 5 plus 3"),
    ("transfer 200 dollars to savings", "now transfer 50 dollars to checking"),
    ("book a table for two tonight", "what time does the restaurant close"),
    ("translate good morning to spanish", "thanks! and good night in french?"),
    ("what's the weather tomorrow", "great, thanks a lot"),
    ("my card was stolen", "can you also increase my credit limit"),
    ("set an alarm for 7am", "also remind me to call mom"),
    ("how long does it take to get a new passport", "do i need a visa for japan"),
    ("what is my checking balance", "thank you that helps"),
]


if __name__ == "__main__":
    main()
