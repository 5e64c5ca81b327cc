"""The fuzzing's own check fails on the bodies it must refuse (so a green run means something)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.fuzz.conftest import error_has_reason


class Response:
    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.text = body if isinstance(body, str) else json.dumps(body)

    def json(self) -> Any:
        return json.loads(self.text)


@pytest.mark.parametrize(
    "body",
    [
        {"detail": "Not Found"},  # FastAPI's default shape
        {"error": "not_found"},
        {"error": "not_found", "message": "  "},
        {"error": "", "message": "no such thread"},
        ["not", "an", "object"],
        "<html>Not Found</html>",
    ],
)
def test_a_4xx_without_a_code_and_a_reason_fails_the_check(body: Any) -> None:
    with pytest.raises(AssertionError):
        error_has_reason(None, Response(404, body), None)


def test_a_4xx_with_a_code_and_a_reason_and_any_2xx_pass() -> None:
    error_has_reason(None, Response(409, {"error": "conflict", "message": "thread belongs to another user"}), None)
    error_has_reason(None, Response(200, {"detail": "anything"}), None)
