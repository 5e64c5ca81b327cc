"""Each PII recogniser on what it must find and on the hard negatives it must leave alone."""

from __future__ import annotations

import pytest

from mastra.privacy import detect
from mastra.privacy.checks import card_prefix, luhn, nino, ssn


def found(text: str, kind: str | None = None) -> list[tuple[str, str]]:
    return [(s.type, text[s.start : s.end]) for s in detect(text) if kind is None or s.type == kind]


# ---- checks --------------------------------------------------------------------------------------------
def test_checksums_and_format_rules() -> None:
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert card_prefix("378282246310005") and not card_prefix("37828224631000")  # Amex is 15 digits
    assert ssn("536904399") and not ssn("000123456") and not ssn("666123456") and not ssn("912345678")
    assert not ssn("123004567") and not ssn("123450000") and not ssn("078051120")
    assert nino("AB123456C") and not nino("QQ123456C") and not nino("AB123456E") and not nino("GB123456A")


# ---- email -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "email",
    [
        "jane.doe@example.com",
        "o'connor+tag@law-firm.co.uk",
        "x@y.io",
        "SUPPORT@EXAMPLE.NET",
        "a_b-c@sub.mail.example.org",
    ],
)
def test_emails(email: str) -> None:
    assert found(f"Write to {email}.", "EMAIL") == [("EMAIL", email)]


@pytest.mark.parametrize(
    "text",
    [
        "Follow @janedoe",
        "user@localhost",
        "a@b",
        "version@2.0",
        "foo@-bar.com",
        "git@github.com:org/repo.git is the remote",
    ],
)
def test_not_emails(text: str) -> None:
    assert found(text, "EMAIL") == []


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("client_ip=fe80::1 user=ops@infra.example.net", "ops@infra.example.net"),
        ("WARN auth user=j.doe@corp.example.com ip=10.20.30.40", "j.doe@corp.example.com"),
        ("to='ann@example.org' from=<bob@example.org>", "ann@example.org"),
        ("key: `eve@example.org`", "eve@example.org"),
        ("bounce to list+ann=example.com@lists.example.org", "list+ann=example.com@lists.example.org"),  # VERP
        ("Email me at ann@example.com: thanks", "ann@example.com"),
    ],
)
def test_an_email_starts_after_a_log_key_or_quote(text: str, email: str) -> None:
    assert found(text, "EMAIL")[0] == ("EMAIL", email)


# ---- cards -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "card", ["4111 1111 1111 1111", "4539-1488-0343-6467", "5425233430109903", "3714 496353 98431", "6011000990139424"]
)
def test_cards_pass_luhn_with_any_grouping(card: str) -> None:
    assert found(f"Charge {card} today", "CREDIT_CARD") == [("CREDIT_CARD", card)]


@pytest.mark.parametrize(
    "text",
    [
        "Reference 1234 5678 9012 3456.",  # fails Luhn
        "Card 4111 1111 1111 1112.",  # fails Luhn
        "Total 4,111,111,111,111,111 units.",  # thousands separators
        "Tracking 1Z999AA10123456784.",
        "Mixed groups 4111 1111-1111 1111.",  # inconsistent separators
        "0000 0000 0000 0000",
    ],
)
def test_card_lookalikes(text: str) -> None:
    assert found(text, "CREDIT_CARD") == []


# ---- IBAN ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB29NWBK60161331926819",
        "FR14 2004 1010 0505 0001 3M02 606",
        "BE68539007547034",
        "NL91ABNA0417164300",
        "CH93 0076 2011 6238 5295 7",
    ],
)
def test_ibans(iban: str) -> None:
    assert found(f"IBAN {iban} ON FILE", "IBAN") == [("IBAN", iban)]


def test_a_lowercase_iban_only_unbroken_and_valid() -> None:
    assert found("Old IBAN de89370400440532013000 was closed", "IBAN") == [("IBAN", "de89370400440532013000")]
    assert found("Old IBAN de89370400440532013001 was closed", "IBAN") == []  # mod-97 fails
    assert found("Old IBAN de89 3704 0044 0532 0130 00 was closed", "IBAN") == []


@pytest.mark.parametrize(
    "text", ["DE89 3704 0044 0532 0130 01", "GB82 WEST 1234 5698 7654 33", "XX89370400440532013000"]
)
def test_invalid_ibans_are_not_ibans_nor_phone_numbers(text: str) -> None:
    assert found(f"Account {text}.") == []


# ---- SSN and national ids -----------------------------------------------------------------------------
def test_ssns() -> None:
    assert found("SSN 536-90-4399", "SSN") == [("SSN", "536-90-4399")]
    assert found("ssn: 536904399", "SSN") == [("SSN", "536904399")]
    assert found("social security 536 90 4399", "SSN") == [("SSN", "536 90 4399")]


@pytest.mark.parametrize(
    "text",
    [
        "SSN 000-12-3456",
        "SSN 666-45-1234",
        "SSN 912-34-5678",
        "SSN 123-00-4567",
        "SSN 123-45-0000",
        "Employee 536904399",
    ],
)
def test_ssn_lookalikes(text: str) -> None:
    assert found(text, "SSN") == []


def test_national_ids() -> None:
    assert found("NI number AB 12 34 56 C", "NATIONAL_ID") == [("NATIONAL_ID", "AB 12 34 56 C")]
    assert found("CPF 123.456.789-09", "NATIONAL_ID") == [("NATIONAL_ID", "123.456.789-09")]
    assert found("CPF 123.456.789-00", "NATIONAL_ID") == []  # wrong check digits


# ---- IP addresses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("ip", ["192.168.1.24", "8.8.8.8", "10.0.0.0/8", "2001:db8:85a3::8a2e:370:7334", "fe80::1"])
def test_ip_addresses(ip: str) -> None:
    assert found(f"from {ip} today", "IP_ADDRESS") == [("IP_ADDRESS", ip)]


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3.4",
        "v10.0.19045.3803",
        "999.999.1.1",
        "256.1.1.1",
        "at 12:30:45",
        "1.2.3.4.5",
        "std::vector",
        "Section 3.2.1.4 of the manual covers this.",
        "see clause 4.1.2.3",
        "Chapter 1.2.3.4",
        "§ 2.1.1.3 applies",
        "Uvicorn running on http://127.0.0.1:8080",  # loopback and unspecified: nobody's address
        "listening on 0.0.0.0 and ::1",
    ],
)
def test_ip_lookalikes(text: str) -> None:
    assert found(text, "IP_ADDRESS") == []


# ---- secrets ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("key AKIAIOSFODNN7EXAMPLE", "aws_access_key"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_key"),
        ("token ghp_" + "a" * 36, "github_token"),
        ("xoxb-123456789012-abcdefghijkl", "slack_token"),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"),
        ("password=hunter2hunter2", "password"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "private_key"),
    ],
)
def test_secrets(text: str, kind: str) -> None:
    spans = [s for s in detect(text) if s.type == "SECRET"]
    assert [s.kind for s in spans] == [kind]


def test_secret_lookalikes() -> None:
    assert found("password: [SECRET]") == [] and found("token=<your token here>") == []
    assert found("commit 9fceb02d0ae598e95dc970b74767f19372d61af8 landed", "SECRET") == []  # no AWS context


# ---- phone numbers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phone",
    [
        "(415) 555-0198",
        "212.555.0147",
        "+1-872-341-5076x123",
        "1-800-275-2273",
        "+44 20 7946 0958",
        "07700 900461",
        "+49 (0)30 9018 2199",
        "030 12345678",
        "06 12 34 56 78",
        "+33 1 42 68 53 00",
        "+91 98765 43210",
        "(11) 3456-7890",
        "+55 11 91234-5678",
        "03-1234-5678",
        "0412 345 678",
        "+61 2 9374 4000",
        "001-650-253-0000x1234",
    ],
)
def test_phone_numbers_in_national_formats(phone: str) -> None:
    assert found(f"Please call {phone} tomorrow.", "PHONE") == [("PHONE", phone)]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Elena Petrova (+49 151 23456789) wants a refund", "+49 151 23456789"),
        ("call (+44 7700 900123)", "+44 7700 900123"),
        ("call +1 415 555 0132)", "+1 415 555 0132"),
        ("call (415) 555-0132)", "(415) 555-0132"),
        ("support (1-800-555-0199 ext. 42)", "1-800-555-0199 ext. 42"),
        ("Delivery contact for the Bangalore order: +91 98765 43210", "+91 98765 43210"),
    ],
)
def test_a_phone_number_in_parentheses_or_after_an_order_word_in_contact_context(text: str, phone: str) -> None:
    assert found(text, "PHONE") == [("PHONE", phone)]


def test_a_phone_number_takes_its_extension() -> None:
    assert found("Call 1-800-555-0199 ext. 42 for billing", "PHONE") == [("PHONE", "1-800-555-0199 ext. 42")]


def test_bare_digits_are_a_phone_number_only_when_the_text_says_so() -> None:
    assert found("call me on 2125550123", "PHONE") == [("PHONE", "2125550123")]
    assert found("The population was 2125550123.", "PHONE") == []


@pytest.mark.parametrize(
    "text",
    [
        "The order number is 4000123456.",
        "Invoice INV-2023-00457 totals $1,249.99, due 03/31/2024.",
        "Our ZIP code is 10001-1234.",
        "Meet on 12.03.2024 at 10:30.",
        "Between 1999-2004 I lived abroad.",
        "The ISBN 978-3-16-148410-0 is on the back.",
        "Booking reference 7843-2211-09.",
        "We sold 1,250,000 units in 2023.",
        "Artikelnummer 4006381333931.",
        "Support ticket 20240315-0042 is open.",
        "SSN 000-12-3456",  # neither an SSN nor a phone number
        "The number 5143 3721 1781 5511 was rejected.",  # a card-length number failing Luhn
        "Build 20240315.1423 failed on step 17 of 42.",  # a date-stamped build number
        "Release 20231201-77 shipped.",
        "Membership no. 3714 496353 98432, tier gold.",  # Amex-shaped, failing Luhn
        "Card 3056 930902 5904 declined",  # Diners-shaped 4-6-4
        "Call count: 4155550132 requests served since boot.",
        "call volume 2125550123 this year",
        "Order: +91 98765 43210",  # an order word and no phone word: still not a phone number
        "Reference number: +44 20 7946 0958",  # the "number" of a reference is no phone word
        "(2024) and (1234567)",
    ],
)
def test_phone_lookalikes(text: str) -> None:
    assert found(text, "PHONE") == []


def test_overlaps_go_to_the_more_specific_type() -> None:
    text = "mail 5551234567@example.com, card 4111 1111 1111 1111, SSN 536-90-4399"
    assert [t for t, _ in found(text)] == ["EMAIL", "CREDIT_CARD", "SSN"]
