"""The reward formula (mastra.feedback.reward): pure, so every case is exact."""

from __future__ import annotations

import pytest

from mastra.feedback.reward import EXPLICIT_SHARE, Signals, components, reward_of


def test_no_signal_is_neutral() -> None:
    assert reward_of(Signals()).reward == 0.5 and reward_of(Signals()).components == {}


def test_reflection_alone_is_the_reward() -> None:
    assert reward_of(Signals(reflection=0.83)).reward == 0.83


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        (Signals(thumbs="up"), 1.0),
        (Signals(thumbs="down"), 0.0),
        (Signals(rating=1), 0.0),
        (Signals(rating=3), 0.5),
        (Signals(rating=5), 1.0),
        (Signals(comment_sentiment=-1.0), 0.0),
        (Signals(comment_sentiment=0.5), 0.75),
        # thumbs (w 1) and rating (w 1): their mean
        (Signals(thumbs="up", rating=3), 0.75),
        # thumbs up (1, w 1), comment -1 (0, w 0.5): 1/1.5
        (Signals(thumbs="up", comment_sentiment=-1.0), round(1 / 1.5, 6)),
    ],
)
def test_explicit_alone(signals: Signals, expected: float) -> None:
    assert reward_of(signals).reward == expected


def test_explicit_dominates_implicit_and_reflection() -> None:
    best_implicit = Signals(thumbs="down", reflection=1.0, rephrased=False, next_sentiment=1.0)
    worst_implicit = Signals(thumbs="up", reflection=0.0, rephrased=True, next_sentiment=-1.0)
    assert reward_of(best_implicit).reward == pytest.approx(1 - EXPLICIT_SHARE)  # capped at 0.25
    assert reward_of(worst_implicit).reward == pytest.approx(EXPLICIT_SHARE)  # floored at 0.75
    assert reward_of(Signals(thumbs="up", reflection=0.8)).reward == 0.95  # 0.75 * 1 + 0.25 * 0.8


def test_a_rephrase_is_a_miss_weighing_twice_the_other_implicit_signals() -> None:
    # (2 * 0 + 1 * 0.6) / 3
    assert reward_of(Signals(reflection=0.6, rephrased=True)).reward == 0.2
    # (2 * 1 + 1 * 0.6) / 3
    assert reward_of(Signals(reflection=0.6, rephrased=False)).reward == pytest.approx(2.6 / 3, abs=1e-6)
    # next-message sentiment -0.5 -> 0.25; (2 * 1 + 1 * 0.25 + 1 * 0.6) / 4
    got = reward_of(Signals(reflection=0.6, rephrased=False, next_sentiment=-0.5))
    assert got.reward == pytest.approx(2.85 / 4, abs=1e-6)
    assert got.components == {"rephrase": 1.0, "next_sentiment": 0.25, "reflection": 0.6}


def test_every_combination_stays_in_the_unit_interval() -> None:
    for thumbs in (None, "up", "down"):
        for rating in (None, 1, 5):
            for comment in (None, -1.0, 1.0):
                for rephrased in (None, True, False):
                    for nxt in (None, -1.0, 1.0):
                        for refl in (None, 0.0, 1.0):
                            s = Signals(thumbs, rating, comment, rephrased, nxt, refl)
                            r = reward_of(s)
                            assert 0.0 <= r.reward <= 1.0
                            assert set(r.components) == set(components(s))
