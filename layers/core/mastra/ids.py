"""Time-ordered identifiers.

Request ids sort by creation time, so messages keyed by them come back in order from any store
(a DynamoDB sort key, a SQLite primary key). This is the ULID layout (48-bit milliseconds + 80
random bits, Crockford base32), made monotonic within a process. Fifteen lines do not justify a
dependency.
"""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last = (0, 0)


def new_id() -> str:
    """Return a 26-character, lexicographically time-ordered id.

    >>> a, b = new_id(), new_id()
    >>> a < b and len(a) == 26
    True
    """
    global _last
    with _lock:
        ms = time.time_ns() // 1_000_000
        last_ms, last_rand = _last
        rand = last_rand + 1 if ms <= last_ms else int.from_bytes(os.urandom(10), "big")
        ms = max(ms, last_ms)
        _last = (ms, rand)
    value = (ms << 80) | (rand & ((1 << 80) - 1))
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
