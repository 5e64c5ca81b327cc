"""An encoding as JSON, so the step that encoded a message hands it to the next one.

On AWS the steps run in separate Lambdas and share nothing but the Step Functions state: the
selection step passes its encoding on, and the sentiment step reads it instead of loading the
encoder and encoding the message a second time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:  # numpy is imported only by the steps that encode or decode (see mastra.lazy)
    from mastra.encoder.encoder import Encoding

DECIMALS = 5  # ~3 KB of state per message; cosines move by < 1e-4


class EncodedMessage(BaseModel):
    encoder: str = Field(description="Digest of the encoder that produced it.")
    embedding: list[float]
    sentiment_logits: list[float] = Field(min_length=2, max_length=2)

    @classmethod
    def of(cls, encoding: Encoding) -> EncodedMessage:
        import numpy as np

        return cls(
            encoder=encoding.encoder,
            embedding=np.round(encoding.embedding.astype(np.float64), DECIMALS).tolist(),
            sentiment_logits=np.round(encoding.sentiment_logits.astype(np.float64), DECIMALS).tolist(),
        )

    def decode(self) -> Encoding:
        import numpy as np

        from mastra.encoder.encoder import Encoding

        return Encoding(
            np.asarray(self.embedding, dtype=np.float32),
            np.asarray(self.sentiment_logits, dtype=np.float32),
            self.encoder,
        )
