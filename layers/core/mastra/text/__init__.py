"""Text featurisation shared by routing, retrieval, reflection and sentiment."""

from mastra.text.features import featurize, normalize, stem_words, words
from mastra.text.tfidf import SparseVector, TfidfSpace

__all__ = ["SparseVector", "TfidfSpace", "featurize", "normalize", "stem_words", "words"]
