"""The reward of one answer: a pure function of the signals about it.

Every signal is first mapped to a component in [0, 1] (1 = the answer served the user):

    =====================  ==========================================  ======
    component              value                                       weight
    =====================  ==========================================  ======
    explicit (E):
      ``thumbs``           up 1, down 0                                1.0
      ``rating``           (rating - 1) / 4                            1.0
      ``comment``          (comment sentiment + 1) / 2                 0.5
    implicit and reflection (I):
      ``rephrase``         0 if the user asked the same again, else 1  2.0
      ``next_sentiment``   (sentiment of the user's next message + 1)/2 1.0
      ``reflection``       the kept answer's reflection score          1.0
    =====================  ==========================================  ======

E and I are the weighted means of the components present in each group, and

    reward = 0.75 * E + 0.25 * I     when the user gave explicit feedback,
    reward = I                       otherwise (0.5 if there is no signal at all).

Explicit feedback dominates: a thumbs-down caps the reward at 0.25, a thumbs-up floors it at
0.75, whatever the implicit signals say; without it the implicit signals and reflection decide.
A rephrase weighs most in its group: asking the same again is the clearest sign the answer missed.

>>> reward_of(Signals(thumbs="up", reflection=0.8)).reward
0.95
>>> reward_of(Signals(reflection=0.6, rephrased=True)).reward
0.2
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXPLICIT_SHARE = 0.75
NEUTRAL = 0.5
WEIGHTS: dict[str, float] = {
    "thumbs": 1.0,
    "rating": 1.0,
    "comment": 0.5,
    "rephrase": 2.0,
    "next_sentiment": 1.0,
    "reflection": 1.0,
}
EXPLICIT = ("thumbs", "rating", "comment")
IMPLICIT = ("rephrase", "next_sentiment", "reflection")


@dataclass(frozen=True)
class Signals:
    """Everything known about an answer (None: not known)."""

    thumbs: str | None = None
    rating: int | None = None
    comment_sentiment: float | None = None
    rephrased: bool | None = None
    next_sentiment: float | None = None
    reflection: float | None = None


@dataclass(frozen=True)
class Reward:
    reward: float
    components: dict[str, float] = field(default_factory=dict)


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def components(s: Signals) -> dict[str, float]:
    """Each present signal as a value in [0, 1]."""
    out: dict[str, float] = {}
    if s.thumbs is not None:
        out["thumbs"] = 1.0 if s.thumbs == "up" else 0.0
    if s.rating is not None:
        out["rating"] = _clip((s.rating - 1) / 4)
    if s.comment_sentiment is not None:
        out["comment"] = _clip((s.comment_sentiment + 1) / 2)
    if s.rephrased is not None:
        out["rephrase"] = 0.0 if s.rephrased else 1.0
    if s.next_sentiment is not None:
        out["next_sentiment"] = _clip((s.next_sentiment + 1) / 2)
    if s.reflection is not None:
        out["reflection"] = _clip(s.reflection)
    return out


def _mean(values: dict[str, float], names: tuple[str, ...]) -> float | None:
    present = [n for n in names if n in values]
    if not present:
        return None
    return sum(WEIGHTS[n] * values[n] for n in present) / sum(WEIGHTS[n] for n in present)


def reward_of(s: Signals) -> Reward:
    """The reward in [0, 1] (rounded to 6 places) and the components it was computed from."""
    values = components(s)
    explicit, implicit = _mean(values, EXPLICIT), _mean(values, IMPLICIT)
    if explicit is not None and implicit is not None:
        r = EXPLICIT_SHARE * explicit + (1 - EXPLICIT_SHARE) * implicit
    elif explicit is not None:
        r = explicit
    elif implicit is not None:
        r = implicit
    else:
        r = NEUTRAL
    return Reward(round(_clip(r), 6), {k: round(v, 6) for k, v in values.items()})
