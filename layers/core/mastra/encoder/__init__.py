"""The shared message encoder (int8 ONNX MiniLM): one pass per message for every model head.

Exports are lazy: every step imports :class:`EncodedMessage` for its input model, and only the
steps that encode should pay for numpy and onnxruntime.
"""

from typing import TYPE_CHECKING

from mastra.lazy import lazy_exports

if TYPE_CHECKING:
    from mastra.encoder.encoder import ASSETS, Encoding, MessageEncoder, text_digest
    from mastra.encoder.wire import EncodedMessage

__getattr__ = lazy_exports(
    __name__,
    {
        "ASSETS": "mastra.encoder.encoder",
        "Encoding": "mastra.encoder.encoder",
        "MessageEncoder": "mastra.encoder.encoder",
        "text_digest": "mastra.encoder.encoder",
        "EncodedMessage": "mastra.encoder.wire",
    },
)
__all__ = ["ASSETS", "EncodedMessage", "Encoding", "MessageEncoder", "text_digest"]
