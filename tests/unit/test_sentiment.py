"""The served sentiment: version 0, the shared encoder's own head, with neutral from low margin."""

import json
from pathlib import Path

import numpy as np
import pytest

from mastra.encoder import MessageEncoder
from mastra.sentiment.head import BUILTIN, SentimentHead

CHAT = Path(__file__).resolve().parents[1] / "data" / "chat_sentiment.jsonl"


@pytest.fixture(scope="module")
def encoder() -> MessageEncoder:
    return MessageEncoder()


@pytest.fixture(scope="module")
def head() -> SentimentHead:
    return SentimentHead.load(BUILTIN)


def test_the_builtin_head_reads_the_shipped_encoder(head: SentimentHead, encoder: MessageEncoder) -> None:
    assert head.encoder == encoder.digest and head.weights is None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("this is the worst bank ever, you lost my money", "negative"),
        ("ugh my card got declined again, this is so annoying", "negative"),
        ("great, that worked perfectly", "positive"),
        ("what is my savings balance", "neutral"),
        ("How do I transfer money to my savings account?", "neutral"),
    ],
)
def test_clear_cases(head: SentimentHead, encoder: MessageEncoder, text: str, label: str) -> None:
    result = head.analyze(encoder.encode(text))
    assert result.label == label, result
    assert -1 <= result.score <= 1


def test_chat_messages_written_by_hand_mostly_get_the_right_label(head: SentimentHead, encoder: MessageEncoder) -> None:
    # 45 chat messages (15 per label) written for this test; SST-2 is film reviews, so this is the
    # check that plain requests stay neutral while feelings are still read. Measured 0.82.
    rows = [json.loads(line) for line in CHAT.read_text().splitlines()]
    right = [head.analyze(encoder.encode(r["text"])).label == r["sentiment"] for r in rows]
    assert len(rows) == 45 and np.mean(right) >= 0.75, np.mean(right)


def test_a_trained_head_round_trips(tmp_path: Path, encoder: MessageEncoder) -> None:
    e = encoder.encode("a wonderful, moving film")
    head = SentimentHead(0.8, encoder.digest, weights=e.embedding.astype(np.float64) * 8, bias=0.0, name="t")
    head.save(tmp_path)
    loaded = SentimentHead.load(tmp_path)
    assert loaded.analyze(e) == head.analyze(e) and head.analyze(e).label == "positive"
