"""Message embeddings as stored: int8 with a per-vector scale, tagged with the encoder.

384 bytes of int8 instead of 1,536 of float32 keeps a message item small (DynamoDB bills by the
KB) and a user's recall scan cheap; on unit vectors the cosines move by < 0.01, which does not
reorder neighbours that matter. The 4-byte encoder tag lets recall skip vectors another encoder
made (their cosines with today's would be meaningless).

    byte 0      format version (1)
    bytes 1-4   encoder tag: crc32 of the encoder digest, little endian
    bytes 5-8   scale, float32: value = int8 * scale
    bytes 9-    int8 components
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FORMAT = 1
_HEADER = struct.Struct("<BIf")


def encoder_tag(digest: str) -> int:
    return zlib.crc32(digest.encode())


def pack(vector: np.ndarray, encoder: str) -> bytes:
    import numpy as np

    v = np.asarray(vector, dtype=np.float32)
    peak = float(np.abs(v).max()) if v.size else 0.0
    scale = peak / 127.0 if peak > 0 else 1.0
    q = np.clip(np.rint(v / scale), -127, 127).astype(np.int8)
    return bytes(_HEADER.pack(FORMAT, encoder_tag(encoder), scale) + q.tobytes())


def _rows(blobs: list[bytes], encoder: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """``(raw (n, header + dim) uint8, kept)``: the blobs ``encoder`` made, checked in bulk."""
    import numpy as np

    size = _HEADER.size + dim
    kept = np.fromiter((i for i, b in enumerate(blobs) if len(b) == size), dtype=np.int64)
    if not len(kept):
        return np.zeros((0, size), dtype=np.uint8), kept
    raw = np.frombuffer(b"".join(blobs[i] for i in kept), dtype=np.uint8).reshape(len(kept), size)
    header = _HEADER.pack(FORMAT, encoder_tag(encoder), 0.0)[:5]
    ours = (raw[:, :5] == np.frombuffer(header, dtype=np.uint8)).all(axis=1)
    return raw[ours], kept[ours]


def unpack_many(blobs: list[bytes], encoder: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """``(matrix (n, dim) float32 L2-normalised, kept)``: the rows of ``blobs`` made by ``encoder``,
    and the indices of ``blobs`` they came from."""
    import numpy as np

    raw, kept = _rows(blobs, encoder, dim)
    scales = raw[:, 5:9].copy().view(np.float32)  # (n, 1)
    matrix = raw[:, _HEADER.size :].view(np.int8).astype(np.float32) * scales
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms > 0, norms, 1.0)
    return matrix, kept


def cosines(blobs: list[bytes], encoder: str, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, kept)``: the cosine of ``query`` (unit) with each blob ``encoder`` made.

    The stored vectors were unit vectors, so ``scale * ||q8|| ≈ 1`` and the cosine is
    ``scale * (q8 · query)``: one pass over the int8 matrix, no dequantised copy to normalise.
    """
    import numpy as np

    raw, kept = _rows(blobs, encoder, int(query.shape[0]))
    scales = raw[:, 5:9].copy().view(np.float32).ravel()
    return (raw[:, _HEADER.size :].view(np.int8) @ np.asarray(query, dtype=np.float32)) * scales, kept
