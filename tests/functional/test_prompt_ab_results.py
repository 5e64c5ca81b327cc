"""Prompt A/B results from the same rewards: a label split between two versions, users rating the
answers of one version down and the other's up, and the per-version summary showing it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.apiclient import api_client

from mastra.runtime import Runtime

QUESTIONS = [
    "how do i transfer money to my savings account",
    "move 200 dollars from checking to savings",
    "i want to send money to my other account",
    "how can i move funds between my accounts",
]


def _split_banking_prompt(client: TestClient) -> None:
    v1 = client.get("/v1/prompts/banking/versions/1").json()
    draft = {k: v1[k] for k in ("template", "variables", "model")} | {"note": "shorter", "author": "ab-test"}
    draft["template"] = "Answer briefly.\n" + draft["template"]
    assert client.post("/v1/prompts/banking/versions", json=draft).status_code == 201
    split = {"split": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "expected": {"version": 1}}
    response = client.put("/v1/prompts/banking/labels/production", json=split)
    assert response.status_code == 200, response.text


def test_each_prompt_version_gets_its_own_reward(runtime: Runtime) -> None:
    # Labels are re-read on every request, so the split serves at once.
    runtime.settings = runtime.settings.model_copy(update={"prompt_ttl_s": 0.0})
    client = api_client(runtime)
    _split_banking_prompt(client)

    served: dict[str, int] = {}
    for i in range(24):
        user = f"user-{i}"  # the arm is a hash of the user id: different users land on both versions
        answer: dict[str, Any] = client.post(
            "/v1/chat", json={"message": QUESTIONS[i % len(QUESTIONS)], "user_id": user}
        ).json()
        assert answer["agent"] == "banking", answer["agent"]
        (kept,) = [e for e in answer["trace"]["executions"] if e["agent_id"] == answer["agent"]][-1:]
        ref = kept["prompt"]["ref"]
        served[ref] = served.get(ref, 0) + 1
        thumbs = "up" if ref == "banking@1" else "down"  # users prefer version 1's answers
        rated = client.post(
            "/v1/feedback", json={"request_id": answer["request_id"], "user_id": user, "thumbs": thumbs}
        )
        assert rated.status_code == 200, rated.text

    assert set(served) == {"banking@1", "banking@2"} and min(served.values()) >= 5, served
    groups = {g["key"]: g for g in client.get("/v1/stats", params={"by": "prompt", "window": "1h"}).json()["groups"]}
    v1, v2 = groups["banking@1"], groups["banking@2"]
    assert (v1["requests"], v2["requests"]) == (served["banking@1"], served["banking@2"])
    assert v1["feedback"]["up"] == served["banking@1"] and v2["feedback"]["down"] == served["banking@2"]
    assert v1["reward"] >= 0.75 > 0.25 >= v2["reward"], (v1["reward"], v2["reward"])
