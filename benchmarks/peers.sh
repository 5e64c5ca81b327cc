#!/usr/bin/env bash
# Compare this repo's pipeline with LangGraph, Agent Squad and Mastra TS in ONE run of the shared
# peer harness (figures on this machine only compare within a run). Writes benchmarks/results/peers.json.
#   benchmarks/peers.sh                 # all peers + our two rows
#   ONLY=langgraph,ours-fake benchmarks/peers.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PEERS_HOME="${PEERS_HOME:-$HERE/../../shared/peers}"
PY="${MASTRA_PYTHON:-$(command -v python)}"
mkdir -p "$HERE/results"
export PEERS_HOME BENCH_OUT="${BENCH_OUT:-$HERE/results/peers.json}"
# Compile the agent cache once first, so cold runs measure a restart; pipeline_latency.py also
# reports the first start on an empty data dir.
rm -rf "${TMPDIR:-/tmp}/mastra-peer-bench"
( cd "$PEERS_HOME" && "$PY" "$HERE/bench_peer_row.py" cold >/dev/null )
export PEERS_EXTRA="[[\"ours-fake\", [\"$PY\", \"$HERE/bench_peer_row.py\"]], [\"ours-retrieval\", [\"env\", \"MASTRA_BENCH_PROVIDER=retrieval\", \"$PY\", \"$HERE/bench_peer_row.py\"]]]"
exec "$PEERS_HOME/run_all.sh"
