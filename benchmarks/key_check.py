"""The cost of checking an API key (every authenticated request pays it once).

    python benchmarks/key_check.py [--n 20000]

SQLite store in a temporary directory; with the in-process cache (``MASTRA_KEY_CACHE_TTL_S=5``,
the default) and without it (0: one read by key id per check).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from mastra.security.keys import KeyService
from mastra.security.keys_sqlite import SQLiteKeyStore
from mastra.storage.sqlite import SQLiteStore


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(f"{tmp}/mastra.db")
        for ttl in (5.0, 0.0):
            keys = KeyService(SQLiteKeyStore(store.db), cache_ttl_s=ttl)
            token = keys.create("bench", "bench", ["chat"]).key
            keys.authenticate(token)
            started = time.perf_counter()
            for _ in range(n):
                keys.authenticate(token)
            print(f"cache_ttl_s={ttl:g}: {(time.perf_counter() - started) / n * 1e6:.1f} us per check ({n} checks)")
        store.close()


if __name__ == "__main__":
    main()
