"""Memory: write and context-assembly latency by stored size, and recall quality.

    python benchmarks/memory.py [--sizes 10,1000,10000,100000] [--dynamodb-sizes 10,1000] [--json PATH]

Latency, for one user holding N stored messages (p50/p99 over ``--queries`` operations, one thread):

- write: what the Remember step adds to memory per turn: ``Store.record_turn`` of the turn's two
  messages with their embeddings, then ``MemoryService.after_turn`` (profile fields extracted and
  merged, the summary check). Encoding is not included (the router already encoded the message).
- context: ``MemoryService.context`` for an agent with the defaults (last 10 messages of the
  thread, its summary, recall top 3 with 1 neighbour across all the user's threads, working memory).
  This is what ExecuteAgent reads before the model is called.
- recall scan: the part of context that grows with N (reading the user's vectors and scoring them).

The embedded store (SQLite) up to 100,000 messages; DynamoDB under moto (in-process) up to 1,000,
whose figures are moto's, not DynamoDB's: they show the call pattern scales, not AWS latency.
Messages are CLINC150 utterances and their real embeddings (cycled past the 18k texts there are).

Recall quality: paraphrase pairs from CLINC150 val (texts the encoder never trained on). For each
of the 150 intents one utterance is a stored message of the user, and the other 19 are queries; a
query scores at k if a stored message of its intent is among the k recalled. 100 out-of-scope
utterances are stored beside them as distractors. Caveat: the encoder was fine-tuned on CLINC150
train, so it has seen these intents (not these texts); read it as an upper bound for other domains.
The TF-IDF cosine over the same stored texts is the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
)

import numpy as np  # noqa: E402

from benchlib import SHARED_DATA, read_jsonl, summary  # noqa: E402
from mastra.encoder import MessageEncoder  # noqa: E402
from mastra.encoder.encoder import Encoding  # noqa: E402
from mastra.memory import MemoryService, WorkingMemorySchema  # noqa: E402
from mastra.memory.recall import recall  # noqa: E402
from mastra.memory.vectors import pack  # noqa: E402
from mastra.spec.models import AgentSpec, MemorySettings, RecallSettings, WorkingMemoryField  # noqa: E402
from mastra.storage import Message, RequestRecord, Store, Turn  # noqa: E402

USER, TENANT = "bench-user", "default"
TURNS_PER_THREAD = 50  # 100 messages per thread
SPEC = AgentSpec(
    id="bench",
    name="Bench",
    description="A benchmark agent.",
    model={"provider": "fake"},
    memory=MemorySettings(
        history_messages=10,
        recall=RecallSettings(top_k=3, scope="user", neighbours=1),  # the defaults
        working={"name": WorkingMemoryField(type="string", patterns=[r"\bmy name is (?P<value>\w+)"])},
    ),
)


def corpus(encoder: MessageEncoder) -> tuple[list[str], np.ndarray]:
    rows = read_jsonl(SHARED_DATA / "clinc150" / "train.jsonl") + read_jsonl(SHARED_DATA / "clinc150" / "val.jsonl")
    texts = [r["text"] for r in rows]
    cache = Path(tempfile.gettempdir()) / f"mastra-bench-clinc-{encoder.digest[:12]}.npy"
    if cache.exists():
        return texts, np.load(cache)
    print(f"encoding {len(texts)} CLINC150 texts (once; cached in {cache}) ...", file=sys.stderr)
    vectors = encoder.embed(texts, progress=True)
    np.save(cache, vectors)
    return texts, vectors


def make_turn(i: int, thread: str, texts: list[str], blobs: list[bytes], at: float) -> Turn:
    rid = f"{int(at * 1000):013d}{i:08d}"  # sorts by time, like a ULID
    j, k = (2 * i) % len(texts), (2 * i + 1) % len(texts)

    def msg(role: str, n: int, suffix: str) -> Message:
        return Message(
            tenant_id=TENANT,
            thread_id=thread,
            message_id=f"{rid}.{suffix}",
            role=role,  # type: ignore[arg-type]
            content=texts[n],
            user_id=USER,
            request_id=rid,
            created_at=at,
            embedding=blobs[n],
        )

    return Turn(
        request=RequestRecord(
            tenant_id=TENANT, request_id=rid, user_id=USER, thread_id=thread, created_at=at, response={"answer": "x"}
        ),
        user_message=msg("user", j, "0"),
        assistant_message=msg("assistant", k, "1"),
    )


def fill(store: Store, n_messages: int, texts: list[str], blobs: list[bytes]) -> None:
    start = time.time() - n_messages
    for i in range(n_messages // 2):
        store.record_turn(make_turn(i, f"thread-{i // TURNS_PER_THREAD:05d}", texts, blobs, start + i))


def latency(
    store: Store,
    n: int,
    texts: list[str],
    vectors: np.ndarray,
    blobs: list[bytes],
    encoder: MessageEncoder,
    queries: int,
) -> dict[str, Any]:
    began = time.perf_counter()
    fill(store, n, texts, blobs)
    filled_s = time.perf_counter() - began
    memory = MemoryService(store, lambda: WorkingMemorySchema.of([SPEC]), lambda: encoder)
    rng = random.Random(n)
    last_thread = f"thread-{(n // 2 - 1) // TURNS_PER_THREAD:05d}"
    context_ms, scan_ms, write_ms = [], [], []
    for q in range(queries):
        at = rng.randrange(len(texts))
        query = Encoding(vectors[at], np.zeros(2, dtype=np.float32), encoder.digest)
        t0 = time.perf_counter()
        ctx = memory.context(
            tenant_id=TENANT, user_id=USER, thread_id=last_thread, new_thread=False, spec=SPEC, query=query
        )
        context_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        recall(
            store,
            tenant_id=TENANT,
            user_id=USER,
            thread_id=last_thread,
            query=query.embedding,
            encoder=encoder.digest,
            settings=SPEC.memory.recall,
            exclude=set(),
        )
        scan_ms.append((time.perf_counter() - t0) * 1000)
        turn = make_turn(10_000_000 + q, last_thread, texts, blobs, time.time())
        t0 = time.perf_counter()
        store.record_turn(turn)
        memory.after_turn(
            tenant_id=TENANT,
            user_id=USER,
            thread_id=last_thread,
            request_id=turn.request.request_id,
            message=turn.user_message.content,
            settings=SPEC.memory,
            new_thread=False,
        )
        write_ms.append((time.perf_counter() - t0) * 1000)
        assert ctx.history, "the context must hold the thread's history"
    return {
        "messages": n,
        "filled_s": round(filled_s, 1),
        "write_ms": summary(write_ms),
        "context_ms": summary(context_ms),
        "recall_scan_ms": summary(scan_ms),
    }


def recall_quality(store: Store, encoder: MessageEncoder) -> dict[str, Any]:
    from mastra.text import TfidfSpace

    rows = read_jsonl(SHARED_DATA / "clinc150" / "val.jsonl")
    rng = random.Random(0)
    by_intent: dict[str, list[str]] = {}
    for r in rows:
        by_intent.setdefault(r["intent"], []).append(r["text"])
    stored: list[tuple[str, str]] = []  # (text, intent)
    queries: list[tuple[str, str]] = []
    for intent, texts in sorted(by_intent.items()):
        if intent == "oos":
            stored += [(t, "oos") for t in texts]
            continue
        texts = texts[:]
        rng.shuffle(texts)
        stored.append((texts[0], intent))
        queries += [(t, intent) for t in texts[1:]]
    stored_vectors = encoder.embed([t for t, _ in stored])
    for i, (text, _) in enumerate(stored):  # the user's history, through the real write path
        blob = pack(stored_vectors[i], encoder.digest)
        turn = make_turn(i, "recall-thread", [text, text], [blob, blob], 1000.0 + i)
        store.record_turn(
            turn.model_copy(
                update={
                    "assistant_message": turn.user_message.model_copy(
                        update={"message_id": f"{turn.request.request_id}.1", "role": "assistant"}
                    )
                }
            )
        )
    intent_of = {t: i for t, i in stored}
    query_vectors = encoder.embed([t for t, _ in queries])
    settings = RecallSettings(top_k=5, scope="user", neighbours=0, min_score=-1)
    hits = {1: 0, 5: 0}
    started = time.perf_counter()
    for (_, intent), vec in zip(queries, query_vectors, strict=True):
        found = recall(
            store,
            tenant_id=TENANT,
            user_id=USER,
            thread_id="other",
            query=vec,
            encoder=encoder.digest,
            settings=settings,
            exclude=set(),
        )
        intents = [intent_of[r.message.content] for r in found if r.hit]
        seen: list[str] = []
        for i in intents:  # both messages of a stored turn carry the same text: count each once
            if not seen or seen[-1] != i:
                seen.append(i)
        for k in hits:
            hits[k] += intent in seen[:k]
    ms = (time.perf_counter() - started) * 1000 / len(queries)
    space = TfidfSpace.fit([t for t, _ in stored])
    stored_sparse = [space.vector(t) for t, _ in stored]
    dim = 1 + max(int(v.indices.max()) for v in stored_sparse if len(v.indices))
    matrix = np.zeros((dim, len(stored)), dtype=np.float32)  # (features, stored): dense is small here
    for j, v in enumerate(stored_sparse):
        matrix[v.indices, j] = v.values
    base = {1: 0, 5: 0}
    for text, intent in queries:
        q = space.vector(text)
        keep = q.indices < dim
        order = np.argsort(-(q.values[keep] @ matrix[q.indices[keep]]))
        top = [stored[i][1] for i in order[:5]]
        for k in base:
            base[k] += intent in top[:k]
    n = len(queries)
    return {
        "stored": len(stored),
        "queries": n,
        "recall_at_1": round(hits[1] / n, 4),
        "recall_at_5": round(hits[5] / n, 4),
        "tfidf_recall_at_1": round(base[1] / n, 4),
        "tfidf_recall_at_5": round(base[5] / n, 4),
        "ms_per_query": round(ms, 3),
    }


def sqlite_store(directory: str) -> Store:
    from mastra.storage import SQLiteStore

    return SQLiteStore(Path(directory) / "mastra.db")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,1000,10000,100000")
    parser.add_argument("--dynamodb-sizes", default="10,1000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    encoder = MessageEncoder()
    texts, vectors = corpus(encoder)
    blobs = [pack(v, encoder.digest) for v in vectors]
    out: dict[str, Any] = {"sqlite": [], "dynamodb": []}
    for n in [int(x) for x in args.sizes.split(",") if x]:
        with tempfile.TemporaryDirectory() as d:
            out["sqlite"].append(latency(sqlite_store(d), n, texts, vectors, blobs, encoder, args.queries))
            print(json.dumps(out["sqlite"][-1]), file=sys.stderr)
    if args.dynamodb_sizes:
        import boto3
        from infra.local_stack import create_table
        from moto import mock_aws

        from mastra.storage.dynamodb import DynamoDBStore

        for n in [int(x) for x in args.dynamodb_sizes.split(",") if x]:
            with mock_aws():
                client = boto3.client("dynamodb")
                create_table(client, "mastra-bench")
                store = DynamoDBStore("mastra-bench", client=client)
                out["dynamodb"].append(latency(store, n, texts, vectors, blobs, encoder, min(args.queries, 50)))
                print(json.dumps(out["dynamodb"][-1]), file=sys.stderr)
    with tempfile.TemporaryDirectory() as d:
        out["recall"] = recall_quality(sqlite_store(d), encoder)
    head = f"{'write p50/p99 ms':>17}  {'context p50/p99 ms':>19}  {'scan p50/p99 ms':>16}"
    print(f"\n{'store':<10} {'messages':>9}  {head}")
    for backend in ("sqlite", "dynamodb"):
        for r in out[backend]:
            w, c, s = r["write_ms"], r["context_ms"], r["recall_scan_ms"]
            print(
                f"{backend:<10} {r['messages']:>9,}  {w['p50']:>8.2f}/{w['p99']:<8.2f}  "
                f"{c['p50']:>9.2f}/{c['p99']:<9.2f}  {s['p50']:>7.2f}/{s['p99']:<8.2f}"
            )
    rq = out["recall"]
    print(
        f"\nrecall, CLINC150 val paraphrase pairs ({rq['stored']} stored, {rq['queries']} queries): "
        f"@1 {rq['recall_at_1']:.3f}  @5 {rq['recall_at_5']:.3f}  (TF-IDF @1 {rq['tfidf_recall_at_1']:.3f}  "
        f"@5 {rq['tfidf_recall_at_5']:.3f});  {rq['ms_per_query']:.2f} ms per query"
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
