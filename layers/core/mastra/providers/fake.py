"""An instant, deterministic model: the setting of the peer-framework overhead benchmarks."""

from __future__ import annotations

from mastra.providers.base import ChatMessage, CompletionRequest, CompletionResponse, ModelProvider, Usage

CANNED_REPLY = "Sure - I can help with that."


class FakeProvider(ModelProvider):
    """Replies with a fixed text (or raises a configured error), without looking at the request."""

    name = "fake"
    uses_system_prompt = False

    def __init__(self, reply: str = CANNED_REPLY, error: Exception | None = None) -> None:
        self.reply = reply
        self.error = error
        self.calls = 0
        #: The critiques of repair attempts it was given (it answers the same regardless).
        self.critiques: list[str] = []

    def complete(self, request: CompletionRequest) -> CompletionResponse:
        self.calls += 1
        if request.critique is not None:
            self.critiques.append(request.critique.text)
        if self.error is not None:
            raise self.error
        return CompletionResponse(
            message=ChatMessage(role="assistant", content=self.reply),
            usage=Usage(input_tokens=0, output_tokens=0),
            model_id="fake",
        )
