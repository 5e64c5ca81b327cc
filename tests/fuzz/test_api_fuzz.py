"""Property-based fuzzing of every operation of the HTTP API, from its own OpenAPI schema.

Schemathesis generates valid and invalid requests (examples, coverage and fuzzing phases) for each
operation the app declares, so a new route is fuzzed without an edit here. Each response must pass:

- ``not_a_server_error``: no 5xx, ever (bad input is the caller's fault: a 4xx);
- ``error_has_reason``: every 4xx is a JSON object with a non-empty ``error`` code and ``message``.

Requests run in-process against the ASGI app. Some generated ids are swapped for ids of records
seeded before each operation's run (threads, messages, answered requests, prompts, agents), alone
or as a set that belongs together, so the fuzzer edits, rates and deletes real records too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from tests.fuzz.conftest import MAX_EXAMPLES, Known, Tally, error_has_reason

from mastra.api import create_app
from mastra.runtime import Runtime
from mastra.settings import Settings

# The schema is read when the module is collected; the runtime it serves is swapped for the
# session's fuzzing runtime (``_serve``) before the first request. This placeholder is never used.
app = create_app(Runtime(Settings.from_env(environ={}, home=Path(tempfile.gettempdir()) / "mastra-fuzz-unused")))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.generation.update(max_examples=MAX_EXAMPLES)

KNOWN = Known()


schemathesis.check(error_has_reason)  # registered here, once: conftest may be imported twice


def _with_known(values: Any) -> Any:
    """``values`` as generated, or with some of its fields set to values the API handed out."""
    if not isinstance(values, dict):
        return st.just(values)
    fields = [name for name in values if KNOWN.get(name)]
    if not fields:
        return st.just(values)

    def swapped(draws: list[Any]) -> dict[str, Any]:
        out = dict(values)
        for name, value in zip(fields, draws, strict=True):
            if value is not None:
                out[name] = value
        return out

    replacements = st.tuples(*[st.none() | st.sampled_from(KNOWN.get(name)) for name in fields])
    options = st.just(values) | replacements.map(lambda draws: swapped(list(draws)))
    records = KNOWN.records(list(values))
    if records:  # ids that belong together: a thread and one of its messages, a request and its asker
        options |= st.sampled_from(records).map(lambda r: {**values, **{k: v for k, v in r.items() if k in values}})
    return options


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
    return _with_known(path_parameters)


@schema.hook
def flatmap_query(context: Any, query: Any) -> Any:
    return _with_known(query)


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    return _with_known(body)


@pytest.fixture(scope="module", autouse=True)
def _serve(fuzz_runtime: Runtime) -> None:
    app.state.runtime = fuzz_runtime


SEED_TURNS = {"fuzz-ana": "how do i transfer money", "fuzz-bo": "book a flight to Lisbon", "fuzz-cy": "what is 2+2"}


@pytest.fixture(autouse=True)
def _seed(fuzz_runtime: Runtime, fuzz_headers: dict[str, str]) -> None:
    """Real records for the next operation's run (earlier runs may have deleted them), and their ids."""
    from fastapi.testclient import TestClient

    client = TestClient(app, headers=fuzz_headers)
    KNOWN.clear()
    for spec in fuzz_runtime.agents.registry:
        KNOWN.add("agent_id", spec.id)
    for prompt in client.get("/v1/prompts").json():
        KNOWN.add("prompt_id", prompt["id"])
        KNOWN.add("version", prompt["latest_version"])
        for label in prompt["labels"]:
            KNOWN.add("label", label)
    for user, message in SEED_TURNS.items():
        threads = client.get("/v1/threads", params={"user_id": user}).json()["items"]
        if threads:
            thread_id = threads[0]["thread_id"]
        else:
            first = client.post("/v1/chat", json={"message": message, "user_id": user}).json()
            thread_id = first["thread_id"]
            client.post("/v1/chat", json={"message": "thanks, and then?", "user_id": user, "thread_id": thread_id})
        KNOWN.add("user_id", user)
        KNOWN.harvest(client.get(f"/v1/threads/{thread_id}/messages").json())  # thread, message, request ids


@schema.parametrize()
def test_api(case: Any, fuzz_headers: dict[str, str], fuzz_tally: Tally) -> None:
    response = case.call(headers=fuzz_headers)
    fuzz_tally.add(case.operation.label, response.status_code)
    case.validate_response(response, checks=[not_a_server_error, error_has_reason], headers=fuzz_headers)
