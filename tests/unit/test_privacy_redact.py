"""Redaction modes, the policy model, the evaluation's counting and the logging safety net."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from mastra.privacy import PrivacyPolicy, Span, redact, redact_text
from mastra.privacy.evaluate import evaluate
from mastra.privacy.logs import RedactingFilter, install

TEXT = (
    "Mail jane.doe@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111, ip 192.168.1.24, "
    "key AKIAIOSFODNN7EXAMPLE"
)


def test_the_default_redacts_every_type_with_placeholders() -> None:
    out = redact(TEXT)
    assert out.text == "Mail [EMAIL], call [PHONE], card [CREDIT_CARD], ip [IP_ADDRESS], key [SECRET]"
    assert out.counts() == {"EMAIL": 1, "PHONE": 1, "CREDIT_CARD": 1, "IP_ADDRESS": 1, "SECRET": 1}


def test_mask_keeps_a_hint_and_allow_keeps_the_value() -> None:
    policy = PrivacyPolicy(default="mask", modes={"PHONE": "allow"})
    out = redact_text(TEXT, policy)
    assert "j***@example.com" in out and "**** **** **** 1111" in out and "192.168.*.*" in out
    assert "+44 20 7946 0958" in out  # allowed
    assert "[SECRET]" in out and "AKIA" not in out  # a secret is never hinted
    ssn = redact_text("SSN 536-90-4399, IBAN DE89 3704 0044 0532 0130 00", policy)
    assert ssn == "SSN ***-**-4399, IBAN DE** **** **** **** **30 00"


def test_a_policy_refuses_unknown_types_and_modes() -> None:
    with pytest.raises(ValidationError):
        PrivacyPolicy(modes={"SHOE_SIZE": "redact"})
    with pytest.raises(ValidationError):
        PrivacyPolicy(modes={"EMAIL": "encrypt"})  # type: ignore[dict-item]


def test_text_without_personal_data_is_returned_unchanged() -> None:
    text = "Transfers take 1 to 3 business days; fees are 2.5% (version 1.2.3.4)."
    assert redact_text(text) == text


# ---- evaluation ----------------------------------------------------------------------------------------
def test_evaluation_counts_overlaps_per_type() -> None:
    rows = [
        {"text": "a", "spans": [{"start": 0, "end": 10, "type": "PHONE"}, {"start": 20, "end": 30, "type": "EMAIL"}]},
        {"text": "b", "spans": []},
    ]
    preds = {
        "a": [Span(5, 12, "PHONE"), Span(40, 45, "PHONE"), Span(20, 30, "IBAN")],  # 1 TP, 1 FP; IBAN FP; EMAIL FN
        "b": [Span(0, 3, "SSN")],
    }
    result = evaluate(rows, lambda text: preds[text])
    assert result["PHONE"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "n": 1, "predicted": 2}
    assert result["EMAIL"]["recall"] == 0.0 and result["EMAIL"]["precision"] == 0.0 and result["EMAIL"]["n"] == 1
    assert result["IBAN"]["precision"] == 0.0 and result["SSN"]["n"] == 0


def test_the_development_set_meets_the_targets() -> None:
    from mastra.privacy.evaluate import load_rows

    rows = load_rows(Path(__file__).resolve().parents[1] / "data" / "pii_dev.jsonl")
    assert len(rows) >= 300
    result = evaluate(rows)
    for t in ("EMAIL", "CREDIT_CARD", "IBAN", "SSN", "IP_ADDRESS"):
        assert result[t]["n"] >= 30 and result[t]["recall"] >= 0.97 and result[t]["precision"] >= 0.95, (t, result[t])
    assert result["PHONE"]["n"] >= 60 and result["PHONE"]["f1"] >= 0.85, result["PHONE"]


def test_the_review_set_meets_the_targets() -> None:
    """An independent reviewer's set (152 rows, written without reading the detector or the dev set).

    Scored before any fix: phone F1 0.957, email P 0.952, IBAN R 0.947, IP P 0.944, SSN R 0.778;
    its errors were then fixed, so it is a regression set now, no longer a held-out one. Its two
    SSN misses are voided sample numbers (219-09-9999, 078-05-1120) the detector rejects on purpose.
    """
    from mastra.privacy.evaluate import load_rows

    result = evaluate(load_rows(Path(__file__).resolve().parents[1] / "data" / "pii_review.jsonl"))
    for t in ("EMAIL", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "PHONE"):
        assert result[t]["recall"] >= 0.97 and result[t]["precision"] >= 0.95, (t, result[t])
    assert result["SSN"]["precision"] == 1.0 and result["SSN"]["predicted"] == 7, result["SSN"]


def test_mastra_eval_pii_prints_per_type_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mastra.cli import main

    data = tmp_path / "rows.jsonl"
    text = "Call (415) 555-0198 or mail a@b.io"
    data.write_text(json.dumps({"text": text, "spans": [{"start": 5, "end": 19, "type": "PHONE"}]}) + "\n")
    assert main(["eval", "pii", "--data", str(data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["PHONE"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "n": 1, "predicted": 1}
    assert out["EMAIL"]["precision"] == 0.0 and out["EMAIL"]["n"] == 0  # predicted, not labelled: a false positive
    assert main(["eval", "pii", "--data", str(data)]) == 0
    assert "precision" in capsys.readouterr().out


# ---- logs ------------------------------------------------------------------------------------------------
def test_log_records_are_redacted_whatever_logger_or_handler(caplog: pytest.LogCaptureFixture) -> None:
    install()
    with caplog.at_level(logging.INFO):
        logging.getLogger("mastra.anything").info("user %s paid with %s", "ana@example.org", "4111 1111 1111 1111")
        logging.getLogger("thirdparty").warning("from 203.0.113.9")
    text = caplog.text
    assert "ana@example.org" not in text and "4111" not in text and "203.0.113.9" not in text
    assert "[EMAIL]" in text and "[CREDIT_CARD]" in text and "[IP_ADDRESS]" in text


def test_tracebacks_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install()
    try:
        raise ValueError("bad card 4111 1111 1111 1111")
    except ValueError:
        logging.getLogger("mastra.x").exception("failed")
    assert "4111" not in caplog.text and "[CREDIT_CARD]" in caplog.text


def test_the_filter_redacts_structured_extras_too() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "hello", None, None)
    record.user_email = "ana@example.org"
    assert RedactingFilter().filter(record) and record.user_email == "[EMAIL]"


def test_a_powertools_logger_redacts_messages_extras_and_appended_keys(capsys: pytest.CaptureFixture[str]) -> None:
    from aws_lambda_powertools import Logger

    from mastra.privacy.logs import powertools

    logger = powertools(Logger(service="privacy-test"))
    logger.append_keys(client_ip="203.0.113.9")
    logger.info("user ana@example.org", extra={"card": "4111 1111 1111 1111"})
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["message"] == "user [EMAIL]" and line["card"] == "[CREDIT_CARD]" and line["client_ip"] == "[IP_ADDRESS]"


def test_mastra_privacy_set_show_and_reset(
    runtime: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mastra.cli import main

    monkeypatch.setattr("mastra.runtime.get_runtime", lambda: runtime)
    assert main(["privacy", "set", "EMAIL=mask", "phone=allow", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["modes"] == {
        **{t: "redact" for t in ("CREDIT_CARD", "IBAN", "SSN", "NATIONAL_ID", "IP_ADDRESS", "SECRET")},
        "EMAIL": "mask",
        "PHONE": "allow",
    }
    assert runtime.privacy.policy("default").mode("EMAIL") == "mask"
    assert main(["privacy", "set", "EMAIL=encrypt"]) == 2
    assert "TYPE=MODE" in capsys.readouterr().err
    assert main(["privacy", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["modes"]["PHONE"] == "allow"
    assert main(["privacy", "reset", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["modes"].values()) == {"redact"}


def test_ordinary_user_requests_have_no_false_positives() -> None:
    """clinc150's 18k requests ("transfer 500 dollars", "flight 1234", "my routing number") hold no PII."""
    from tests.conftest import shared_data

    from mastra.privacy import detect

    texts = [json.loads(line)["text"] for line in shared_data("clinc150", "train.jsonl").read_text().splitlines()]
    found = [(t, s.type) for t in texts for s in detect(t)]
    assert len(texts) > 10_000 and found == []
