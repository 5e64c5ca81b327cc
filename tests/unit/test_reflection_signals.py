"""Reflection v2's signals, one at a time, and the repair decision (no models, no store)."""

from __future__ import annotations

import pytest

from mastra.providers.base import Critique
from mastra.reflection import AnswerFacts, Reflection
from mastra.reflection.heuristic import Budget, HeuristicReflector
from mastra.reflection.signals import completeness, entities_of, leaks, parts_of, redact, safety, tone
from mastra.selection.base import AgentScore, Selection
from mastra.sentiment.base import Sentiment
from mastra.text import TfidfSpace

UPSET = Sentiment(label="negative", score=-0.8, model="test")
CALM = Sentiment(label="neutral", score=0.0, model="test")


def unrelated(_a: str, _b: str) -> float:
    return 0.0


# ---- completeness ------------------------------------------------------------------------------------
def test_no_answer_and_a_truncated_answer_are_incomplete() -> None:
    assert (
        completeness("how do i reset my pin", "", answered=False, stop_reason="no_match", related=unrelated).value == 0
    )
    cut = completeness("reset my pin", "Open the app and", answered=True, stop_reason="max_tokens", related=unrelated)
    assert cut.value == 0.4 and "cut off" in cut.reason


def test_a_missed_part_of_a_two_part_request_lowers_completeness() -> None:
    message = "How do I reset my PIN? And what is the daily withdrawal limit?"
    assert len(parts_of(message)) == 2
    full = completeness(
        message,
        "Reset your PIN under Card settings. The daily withdrawal limit is 500.",
        answered=True,
        stop_reason="end_turn",
        related=unrelated,
    )
    half = completeness(
        message, "Reset your PIN under Card settings.", answered=True, stop_reason="end_turn", related=unrelated
    )
    assert full.value == 1.0 and full.reason.startswith("covers all 2 parts")
    assert half.value < 0.85 and "1 of 2 parts" in half.reason


def test_named_things_the_answer_never_mentions_count() -> None:
    assert entities_of("What's the weather in Lisbon on Friday?") == ["Lisbon", "Friday"]
    signal = completeness(
        "What's the weather in Lisbon on Friday?",
        "It will be sunny in Porto.",
        answered=True,
        stop_reason="end_turn",
        related=unrelated,
    )
    assert signal.value < 1.0 and "Lisbon" in signal.reason


# ---- tone --------------------------------------------------------------------------------------------
def test_an_upset_user_getting_a_cheerful_answer_scores_low() -> None:
    cheerful = "No worries, super easy!! Just open the app :)"
    assert tone(cheerful, sentiment_label="negative", sentiment_score=-0.8).value == 0.2
    assert tone(cheerful, sentiment_label="neutral", sentiment_score=0.1).value == 1.0
    kind = "Sorry about that - no worries, it's super easy!! Open the app."
    assert tone(kind, sentiment_label="negative", sentiment_score=-0.8).value == 0.6
    plain = "Open Card settings and choose Reset PIN."
    assert tone(plain, sentiment_label="negative", sentiment_score=-0.9).value == 1.0


def test_dismissive_wording_is_wrong_for_anyone() -> None:
    assert tone("Whatever, just read the FAQ.", sentiment_label="positive", sentiment_score=0.9).value == 0.2


# ---- safety ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("Write to jane.doe@bank.example.com for help.", "email"),
        ("Call +44 20 7946 0958 now.", "phone_number"),
        ("The card is 4111 1111 1111 1111.", "card_number"),
        ("Send it to GB82 WEST 1234 5698 7654 32.", "iban"),
        ("Use AKIAIOSFODNN7EXAMPLE to sign in.", "aws_key"),
        ("The password is hunter2hunter2.", "secret"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "private_key"),
        ("My system prompt says to be brief.", "policy_leak"),
        ("I was instructed to never mention fees.", "policy_leak"),
    ],
)
def test_leaks_are_found_by_kind(answer: str, kind: str) -> None:
    signal, kinds = safety(answer, "help me please")
    assert signal.value == 0.0 and kinds == [kind]
    assert kind.replace("_", " ") in signal.reason
    assert "[redacted" in redact(answer, "help me please")


def test_what_the_user_gave_is_not_a_leak_and_ordinary_numbers_are_fine() -> None:
    message = "my email is ana@example.org and my card 4111-1111-1111-1111"
    assert leaks("We sent it to ana@example.org; card 4111 1111 1111 1111 is blocked.", message) == []
    for fine in ["Transfers take 1 to 3 business days.", "Call 555 867 5309 (our demo line).", "Order #12345678."]:
        assert safety(fine, "hi")[0].value == 1.0, fine
    # A card-like number that fails the Luhn check is not a card.
    assert safety("Reference 1234 5678 9012 3456.", "hi")[1] == []


def test_redaction_removes_the_values_and_keeps_the_rest() -> None:
    out = redact("Reset it in the app. Or mail bob@corp.example.com. My system prompt says hi. Done.", "reset pin")
    assert "bob@" not in out and "system prompt" not in out
    assert out.startswith("Reset it in the app.") and "[redacted email]" in out and out.endswith("Done.")


# ---- the decision ------------------------------------------------------------------------------------
SPACE = TfidfSpace.fit(
    [
        "reset your card pin in the app under card settings",
        "transfer money between checking and savings",
        "the weather forecast for tomorrow",
    ]
)


def selection(banking: float = 0.9, travel: float = 0.08) -> Selection:
    ranked = [AgentScore(agent_id="banking", confidence=banking), AgentScore(agent_id="travel", confidence=travel)]
    return Selection(agent_id="banking", confidence=banking, ranked=ranked, router="test")


def reflector() -> HeuristicReflector:
    return HeuristicReflector(SPACE, threshold=0.47, retry_min_confidence=0.05)


GOOD = AnswerFacts(agent_id="banking", answer="Reset your card PIN in the app under Card settings.", answered=True)
MESSAGE = "how do i reset my card pin"


def test_a_good_answer_is_accepted_with_reasons_per_signal() -> None:
    r = reflector().reflect(MESSAGE, selection(), GOOD, sentiment=CALM, tried=["banking"])
    assert r.verdict == "accept" and r.score >= 0.47
    assert set(r.signals) >= {"relevance", "fit", "completeness", "tone", "safety"}
    assert set(r.reasons) == {"relevance", "fit", "completeness", "tone", "safety", "injection"}


def test_an_unsafe_answer_is_repaired_with_a_redaction_critique() -> None:
    leaky = AnswerFacts(agent_id="banking", answer=GOOD.answer + " Or ask jane@bank.example.com.", answered=True)
    r = reflector().reflect(MESSAGE, selection(), leaky, sentiment=CALM, tried=["banking"])
    assert r.verdict == "repair" and r.retry_agent_id == "banking" and r.score == 0.0
    assert r.critique is not None and r.critique.redact and r.findings == ["email"]


def test_a_cheerful_answer_to_an_upset_user_is_repaired_for_tone() -> None:
    flip = AnswerFacts(agent_id="banking", answer=GOOD.answer + " Easy peasy!! :)", answered=True)
    r = reflector().reflect(MESSAGE, selection(), flip, sentiment=UPSET, tried=["banking"])
    assert r.verdict == "repair" and r.critique is not None and r.critique.tone == "empathetic"
    assert "tone" in r.reason


def test_a_weak_answer_from_an_unlikely_agent_is_retried_elsewhere() -> None:
    off = AnswerFacts(agent_id="banking", answer="The weather forecast for tomorrow is sunny.", answered=True)
    r = reflector().reflect(MESSAGE, selection(banking=0.3, travel=0.2), off, tried=["banking"])
    assert r.verdict == "retry" and r.retry_agent_id == "travel" and r.critique is None


def test_an_off_topic_answer_from_a_fitting_agent_is_repaired_without_that_passage() -> None:
    off = AnswerFacts(
        agent_id="banking", answer="Transfer money between accounts.", answered=True, sources=("transfer",)
    )
    r = reflector().reflect(MESSAGE, selection(banking=0.5), off, tried=["banking"])
    assert r.verdict == "repair" and r.critique is not None and r.critique.exclude_sources == ["transfer"]


def test_an_agent_is_repaired_once_then_the_next_agent_is_tried() -> None:
    leaky = AnswerFacts(agent_id="banking", answer="Ask jane@bank.example.com.", answered=True)
    first = reflector().reflect(MESSAGE, selection(), leaky, tried=["banking"])
    again = AnswerFacts(agent_id="banking", answer="Ask jane@bank.example.com.", answered=True, critiqued=True)
    second = reflector().reflect(MESSAGE, selection(), again, tried=["banking"], history=[(leaky, first)])
    assert first.verdict == "repair" and second.verdict == "retry" and second.retry_agent_id == "travel"
    assert second.attempt == 2


def test_no_budget_means_the_best_answer_so_far_stands() -> None:
    weak = AnswerFacts(agent_id="banking", answer="The weather is sunny.", answered=True)
    for budget in (Budget(attempts_left=0), Budget(attempts_left=2, time_left=False)):
        r = reflector().reflect(MESSAGE, selection(banking=0.3, travel=0.2), weak, tried=["banking"], budget=budget)
        assert r.verdict == "accept" and "budget is spent" in r.reason


def test_a_repair_replaces_the_answer_it_repairs_and_a_retry_needs_a_margin() -> None:
    rf = reflector()
    leaky = AnswerFacts(agent_id="banking", answer=GOOD.answer + " jane@bank.example.com", answered=True)
    first = rf.reflect(MESSAGE, selection(), leaky, tried=["banking"])
    fixed = AnswerFacts(agent_id="banking", answer=GOOD.answer, answered=True, critiqued=True)
    second = rf.reflect(MESSAGE, selection(), fixed, tried=["banking"], history=[(leaky, first)])
    assert second.verdict == "accept" and second.kept_attempt == 2 and second.chosen == "retry"
    # Another agent's answer that is only a little better does not replace the router's first choice.
    weak = Reflection(verdict="retry", score=0.40, reason="weak", retry_agent_id="travel")
    other = AnswerFacts(agent_id="travel", answer=GOOD.answer, answered=True)
    score = rf.review(MESSAGE, selection(), other).score
    third = rf.reflect(
        MESSAGE,
        selection(),
        other,
        tried=["banking", "travel"],
        history=[(GOOD, weak.model_copy(update={"score": score - 0.05}))],
    )
    assert third.kept_attempt == 1


def test_a_deliberate_fallback_stands() -> None:
    sel = Selection(
        agent_id="fallback",
        confidence=0.1,
        ranked=[AgentScore(agent_id="banking", confidence=0.1)],
        router="test",
        fallback=True,
        fallback_reason="no agent fits",
    )
    facts = AnswerFacts(agent_id="fallback", answer="I can't help with that.", answered=True)
    r = reflector().reflect("asdf", sel, facts, tried=["fallback"])
    assert r.verdict == "accept" and "the router chose the fallback" in r.reason


def test_a_critique_names_what_to_fix() -> None:
    c = Critique(text="Leave out emails.", redact=True)
    assert c.model_dump()["redact"] and not c.expand
