from mastra.text import TfidfSpace, featurize, normalize, words


def test_normalize_strips_case_accents_and_apostrophes() -> None:
    assert normalize("Café’s DÉJÀ-vu") == "cafes deja-vu"


def test_words_and_features() -> None:
    assert words("What's my balance?") == ["whats", "my", "balance"]
    feats = featurize("checking balances")
    assert feats["check"] == 1 and feats["balanc"] == 1 and feats["check balanc"] == 1
    assert "#<ba" in feats


def test_tfidf_vectors_are_unit_length_and_similarity_orders_texts() -> None:
    space = TfidfSpace.fit(["transfer money to savings", "what is my balance", "book a flight to paris"])
    q = space.vector("move money into my savings account")
    assert abs(float(q.values @ q.values) - 1.0) < 1e-5
    near = space.vector("transfer money to savings")
    far = space.vector("book a flight to paris")
    assert q.dot(near) > q.dot(far) >= 0


def test_unknown_text_gives_an_empty_vector() -> None:
    space = TfidfSpace.fit(["alpha beta"])
    v = space.vector("zzzz qqqq")
    assert len(v.indices) == 0 and v.dot(space.vector("alpha")) == 0.0
