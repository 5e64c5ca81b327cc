"""The default sentiment model: the SST-2 linear model fused with the VADER lexicon.

The linear model reads polarity well in full sentences (0.79 on unseen SST-2 sentences) but was
trained on film reviews: it gives plain requests spurious polarity ("waste of money" makes
"transfer money" negative). VADER's lexicon is built for social-media text and scores 0 when no
sentiment word is present. The fusion:

- VADER's lexicon is adapted to assistant requests: task words that name a service or an action
  ("credit", "interest", "rewards", "alarm", "block", "please", "help") carry no feeling there.
  The list comes from the lexicon words most frequent in CLINC150's *train* split.
- score = 0.5 * lexicon + 0.5 * learned, with the learned part halved when the message has no
  sentiment word at all, so such a message stays inside the neutral band unless VADER disagrees.

The sign (the positive/negative decision) is the learned model's wherever the lexicon is silent;
only the neutral rate changes. Measured in benchmarks/accuracy.py.
"""

from __future__ import annotations

from mastra.sentiment.base import Sentiment, label_for
from mastra.sentiment.linear import LinearSentiment

NEUTRAL_BAND = 0.25
LEXICON_WEIGHT = 0.5
NO_SENTIMENT_WORD_GATE = 0.5
TASK_WORDS = frozenset(
    "please credit want like help pay paying number kind interest play playing alarm alarms increase cancel "
    "rewards reward no yes sure stop pressure share benefits benefit approved holiday holidays alert alerts "
    "wells block blocked create saved save free safe low true lower".split()
)


class DefaultSentiment:
    name = "sst2-linear+vader-v1"

    def __init__(self, linear: LinearSentiment | None = None, neutral_band: float = NEUTRAL_BAND) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.linear = linear or LinearSentiment.load()
        self.lexicon = SentimentIntensityAnalyzer()
        for word in TASK_WORDS:
            self.lexicon.lexicon.pop(word, None)
        self.neutral_band = neutral_band

    def analyze(self, text: str) -> Sentiment:
        lexical = self.lexicon.polarity_scores(text)["compound"]
        learned = 2.0 * self.linear.probability(text) - 1.0
        if lexical == 0.0:
            learned *= NO_SENTIMENT_WORD_GATE
        score = round(LEXICON_WEIGHT * lexical + (1 - LEXICON_WEIGHT) * learned, 4)
        return Sentiment(label=label_for(score, self.neutral_band), score=score, model=self.name)
