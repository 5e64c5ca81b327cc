import pytest

from mastra.sentiment import DefaultSentiment, LinearSentiment


@pytest.fixture(scope="module")
def model() -> DefaultSentiment:
    return DefaultSentiment()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("How do I transfer money to my savings account?", "neutral"),
        ("set an alarm for 7am", "neutral"),
        ("please help me pay my credit card bill", "neutral"),
        ("what is my savings balance", "neutral"),
        ("thanks so much, that was really helpful!", "positive"),
        ("I love this, can you help me with billing?", "positive"),
        ("ugh my card got declined again, this is so annoying", "negative"),
        ("this is the worst bank ever, you lost my money", "negative"),
        ("My laptop is broken and I am upset", "negative"),
    ],
)
def test_chat_messages_get_the_right_label(model: DefaultSentiment, text: str, label: str) -> None:
    result = model.analyze(text)
    assert result.label == label, result
    assert -1 <= result.score <= 1


def test_the_shipped_linear_model_loads_and_is_binary() -> None:
    linear = LinearSentiment.load()
    assert linear.probability("a wonderful, moving film") > 0.5 > linear.probability("a dull, tedious mess")
