"""The message encoder: one ONNX pass per message, shared by routing and sentiment.

A 4-layer MiniLM fine-tuned for both jobs (``docs/research/message-encoder.md``), quantised to
int8 ONNX (19 MB). One pass gives the L2-normalised sentence embedding (what the router's
prototypes and later memory recall compare against) and the sentiment head's logits. Inference
needs only onnxruntime, tokenizers and numpy: no torch on the request path.

Recently encoded messages are kept in a small LRU cache, so the steps of one request (routing,
sentiment) pay for one pass between them when they run in the same process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).with_name("assets")
MODEL_FILE, TOKENIZER_FILE, META_FILE, TRAINED_TEXTS_FILE = (
    "model.int8.onnx",
    "tokenizer.json",
    "encoder.json",
    "trained_texts.npy",
)


@dataclass(frozen=True)
class Encoding:
    """One message, encoded: its unit-length embedding and the sentiment head's two logits."""

    embedding: np.ndarray  # (dim,) float32, L2-normalised
    sentiment_logits: np.ndarray  # (2,) float32: negative, positive
    encoder: str  # digest of the encoder that produced it: heads read only their own encoder's space


def text_digest(text: str) -> int:
    """A stable 64-bit digest of a text (to recognise texts the encoder was trained on)."""
    return int.from_bytes(hashlib.blake2b(text.strip().encode(), digest_size=8).digest(), "little")


class MessageEncoder:
    """Loads an encoder directory (``model.int8.onnx``, ``tokenizer.json``, ``encoder.json``)."""

    def __init__(self, directory: Path = ASSETS, *, threads: int = 1, cache_size: int = 256) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = directory
        self.meta = json.loads((directory / META_FILE).read_text())
        self.name: str = self.meta["name"]
        self.digest: str = self.meta["digest"]
        self.dim: int = int(self.meta["dim"])
        options = ort.SessionOptions()
        # One request is one short sequence: more threads only add synchronisation (and Lambda
        # gives a small function one vCPU).
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(directory / MODEL_FILE), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(self.meta["max_len"]))
        self._cache: OrderedDict[str, Encoding] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def encode(self, text: str) -> Encoding:
        """The encoding of one message (from the cache when it was encoded recently)."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        ids = np.asarray([self.tokenizer.encode(text).ids], dtype=np.int64)
        embedding, sentiment, _ = self.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        encoding = Encoding(embedding[0], sentiment[0], self.digest)
        with self._lock:
            self._cache[text] = encoding
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return encoding

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Embeddings of many texts, ``(len(texts), dim)``, for training and evaluation.

        One text per run, exactly as at serving time: int8 dynamic quantisation scales a batch's
        activations together, so a padded batch shifts embeddings by up to ~0.03, and a head
        calibrated on those would be miscalibrated on live traffic. (~1 ms a text.)
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        rows = enumerate(texts)
        if progress:
            from tqdm import tqdm

            rows = tqdm(rows, total=len(texts), desc="encoding", unit="text", mininterval=1.0, smoothing=0.1)
        for i, text in rows:
            ids = np.asarray([self.tokenizer.encode(text).ids], dtype=np.int64)
            out[i] = self.session.run(["embedding"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
        return out

    @cached_property
    def trained_texts(self) -> np.ndarray:
        """Sorted digests of the texts the encoder was fine-tuned on (empty if not shipped)."""
        path = self.directory / TRAINED_TEXTS_FILE
        return np.load(path) if path.exists() else np.zeros(0, dtype=np.uint64)

    def was_trained_on(self, texts: list[str]) -> np.ndarray:
        """For each text, whether the encoder saw it in training: such rows cannot calibrate a head
        (the encoder is more confident on them than it will be on new messages)."""
        digests = np.array([text_digest(t) for t in texts], dtype=np.uint64)
        seen = self.trained_texts
        if not len(seen):
            return np.zeros(len(texts), dtype=bool)
        at = np.clip(np.searchsorted(seen, digests), 0, len(seen) - 1)
        return seen[at] == digests  # type: ignore[no-any-return]
