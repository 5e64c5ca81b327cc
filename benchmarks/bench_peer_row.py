"""Mastra (this repo) as a row of ../shared/peers/run_all.sh: the same job as the peers, same harness.

Each request goes through the whole pipeline (select + sentiment -> execute -> reflect -> remember)
with the persistent SQLite store, on the thread of its session. ``MASTRA_BENCH_PROVIDER`` picks the
model: ``fake`` (instant canned reply, the peers' setting; default) or ``retrieval`` (offline default).
Run it through ``benchmarks/peers.sh``; it needs the peers' ``common.py`` on the path.
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.environ.get("PEERS_HOME", str(Path(__file__).resolve().parents[2] / "shared" / "peers")))
import common

from mastra import __version__
from mastra.models import ChatRequest
from mastra.providers.fake import CANNED_REPLY
from mastra.runtime import Runtime
from mastra.settings import Settings
from mastra.storage import SQLiteStore

PROVIDER = os.environ.get("MASTRA_BENCH_PROVIDER", "fake")


def build() -> Runtime:
    # The data dir keeps the compiled agent cache between runs (a restart, as in production);
    # each process writes its turns to a fresh SQLite file.
    home = Path(os.environ.get("MASTRA_BENCH_HOME", Path(tempfile.gettempdir()) / "mastra-peer-bench"))
    db = Path(tempfile.mkdtemp(prefix="mastra-peer-db-")) / "mastra.db"
    settings = Settings.from_env(home=home, provider_override=None if PROVIDER == "retrieval" else PROVIDER)
    return Runtime(settings, store=SQLiteStore(db)).warm()  # load everything now, as the peers build their graphs


def serve_one(rt: Runtime, i: int) -> str:
    session = common.session_of(i)
    request = ChatRequest(message=common.request_text(i), user_id=f"user-{session}", thread_id=session)
    return rt.chat(request).answer


def check(reply: str) -> None:
    if PROVIDER == "fake":
        assert reply == CANNED_REPLY, reply
    else:
        assert reply.strip(), "empty answer"


if __name__ == "__main__":
    common.run(
        f"mastra-py ({PROVIDER})",
        f"mastra {__version__} (this repo), provider {PROVIDER}",
        build,
        serve_one,
        check,
    )
