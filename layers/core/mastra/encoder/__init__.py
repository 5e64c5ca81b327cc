"""The shared message encoder (int8 ONNX MiniLM): one pass per message for every model head."""

from mastra.encoder.encoder import ASSETS, Encoding, MessageEncoder, text_digest

__all__ = ["ASSETS", "Encoding", "MessageEncoder", "text_digest"]
