"""Fuzzing the HTTP API: one app over a runtime in its own data dir, shared by every operation's test.

The runtime is seeded with real records (threads, messages, answered requests, prompt versions) and
the ids it hands out are fed back into generation (``test_api_fuzz``), so the fuzzer reaches the
code behind a 404 as well as the 404 itself. Case counts per operation and status are printed at
the end of the run and written as JSON to ``$MASTRA_FUZZ_OUT`` when it is set.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Examples per operation and phase (schemathesis: 100); CI keeps the run near a minute. More: MASTRA_FUZZ_EXAMPLES.
MAX_EXAMPLES = int(os.environ.get("MASTRA_FUZZ_EXAMPLES", "80"))


#: The store fuzzed: sqlite (the default), or dynamodb (moto, in-process).
STORE = os.environ.get("MASTRA_FUZZ_STORE", "sqlite")


@pytest.fixture(scope="session")
def fuzz_runtime(tmp_path_factory: pytest.TempPathFactory, agent_cache: Path) -> Iterator[Any]:
    """A runtime of its own (its own MASTRA_HOME) for the whole fuzzing session."""
    from contextlib import ExitStack

    from mastra.agents.agentset import AgentSet
    from mastra.runtime import Runtime
    from mastra.settings import Settings

    home = tmp_path_factory.mktemp("fuzz-home")
    overrides: dict[str, Any] = {"home": home, "bandit_epsilon": 0}
    stack = ExitStack()
    if STORE == "dynamodb":
        import boto3
        from moto import mock_aws
        from tests.awsmock import create_table

        from mastra import aws

        stack.enter_context(mock_aws())
        aws.reset()
        create_table(boto3.client("dynamodb"), "mastra-fuzz")
        overrides.update(store="dynamodb", table_name="mastra-fuzz")
    # Rate limiting (once the deployment has it) must not turn fuzzing into a test of the limiter: 0 is no limit.
    if "rate_per_s" in Settings.model_fields:
        overrides["rate_per_s"] = 0.0
    settings = Settings.from_env(environ={}, **overrides)
    rt = Runtime(settings, sleep=lambda s: None, strict_json=True)
    rt.__dict__["agents"] = AgentSet.load(settings.agents_dir, agent_cache)
    with stack:
        yield rt
        rt.store.close()


@pytest.fixture(scope="session")
def fuzz_headers(fuzz_runtime: Any) -> dict[str, str]:
    """Headers every fuzzed request carries: an admin key of the tenant, once the API has keys."""
    if getattr(type(fuzz_runtime), "keys", None) is None:
        return {}
    key = fuzz_runtime.keys.create(fuzz_runtime.settings.tenant_id, "fuzz", ["admin"])
    return {"Authorization": f"Bearer {key.key}"}


def error_has_reason(ctx: Any, response: Any, case: Any) -> None:
    """A client error says what was wrong: ``{"error": code, "message": reason}``."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body: {response.text[:200]!r}") from None
    assert isinstance(body, dict), f"{response.status_code} body is not an object: {body!r}"
    assert isinstance(body.get("error"), str) and body["error"], f"{response.status_code} without an error code: {body}"
    message = body.get("message")
    assert isinstance(message, str) and message.strip(), f"{response.status_code} without a message: {body}"


class Known:
    """Values the API handed out, by field name, to put back into generated requests.

    Filled before an operation's run and left alone during it: Hypothesis needs a strategy to
    behave the same every time it replays a case.
    """

    LIMIT = 64

    def __init__(self) -> None:
        self._values: dict[str, list[Any]] = defaultdict(list)
        self._records: list[dict[str, Any]] = []  # ids that belong together (a message's thread and request)
        self._lock = threading.Lock()

    def add(self, name: str, value: Any) -> None:
        if not isinstance(value, str | int) or isinstance(value, bool) or value in ("", None):
            return
        with self._lock:
            values = self._values[name]
            if value not in values:
                values.append(value)
                del values[: -self.LIMIT]

    def get(self, name: str) -> list[Any]:
        with self._lock:
            return list(self._values.get(name, ()))

    def records(self, names: list[str]) -> list[dict[str, Any]]:
        """Sets of ids seen together that cover at least two of ``names``."""
        with self._lock:
            return [r for r in self._records if len(r.keys() & set(names)) >= 2]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._records.clear()

    def harvest(self, payload: Any, depth: int = 0) -> None:
        """Every ``*_id`` (and label name, prompt version) in a JSON response."""
        if depth > 6:
            return
        if isinstance(payload, list):
            for item in payload[:50]:
                self.harvest(item, depth + 1)
        elif isinstance(payload, dict):
            record = {}
            for key, value in payload.items():
                if key.endswith("_id") or key in ("label", "version"):
                    self.add(key, value)
                    if isinstance(value, str | int) and not isinstance(value, bool):
                        record[key] = value
                if isinstance(value, dict | list):
                    self.harvest(value, depth + 1)
            if len(record) >= 2:
                with self._lock:
                    if record not in self._records:
                        self._records.append(record)
                        del self._records[: -self.LIMIT]


class Tally:
    """Cases sent, per operation and response status."""

    def __init__(self) -> None:
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self._lock = threading.Lock()

    def add(self, label: str, status: int) -> None:
        with self._lock:
            self.statuses[label][str(status)] += 1

    def summary(self) -> dict[str, Any]:
        per_op = {
            label: {"cases": sum(c.values()), "statuses": dict(sorted(c.items()))}
            for label, c in sorted(self.statuses.items())
        }
        totals: Counter[str] = Counter()
        for c in self.statuses.values():
            totals.update(c)
        return {
            "total_cases": sum(totals.values()),
            "operations": len(per_op),
            "max_examples": MAX_EXAMPLES,
            "store": STORE,
            "statuses": dict(sorted(totals.items())),
            "server_errors": sum(n for s, n in totals.items() if s.startswith("5")),
            "per_operation": per_op,
        }


TALLY = Tally()


@pytest.fixture(scope="session")
def fuzz_tally() -> Tally:
    return TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.statuses:
        return
    summary = TALLY.summary()
    write = terminalreporter.write_line
    terminalreporter.section("API fuzzing (schemathesis)")
    for label, row in summary["per_operation"].items():
        statuses = " ".join(f"{s}:{n}" for s, n in row["statuses"].items())
        write(f"{row['cases']:6d}  {label:<55s} {statuses}")
    write(
        f"{summary['total_cases']:6d}  cases over {summary['operations']} operations; "
        f"{summary['server_errors']} server errors"
    )
    out = os.environ.get("MASTRA_FUZZ_OUT")
    if out:
        Path(out).write_text(json.dumps(summary, indent=2) + "\n")
        write(f"summary written to {out}")
