"""Writes tests/data/pii_dev.jsonl, the PII development set (``python tests/data/make_pii_dev.py``).

Hand-written sentences mark entities inline as ``{TYPE:value}``; templated rows fill realistic
sentences with values drawn (seeded) from hand-written lists and from generators of valid and
near-miss numbers (Luhn, mod-97, SSN rules). Negatives (order numbers, dates, amounts, zip codes,
version strings, Luhn failures, bad IBANs, invalid SSNs) carry no spans.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

MARK = re.compile(r"\{([A-Z_]+):([^{}]+)\}")

HAND = """\
Hi, I'm {PERSON:Maria Gonzalez}, you can reach me at {EMAIL:maria.gonzalez@gmail.com} or {PHONE:(415) 555-0198}.
Please call our London office on {PHONE:+44 20 7946 0958} between 9 and 5.
My mobile is {PHONE:07700 900461}, text me if the courier is late.
Unsere Nummer: {PHONE:+49 30 901820}, Fax {PHONE:+49 (0)30 9018 2199}.
Appelez-moi au {PHONE:06 12 34 56 78} ou au {PHONE:+33 1 42 68 53 00}.
For India support dial {PHONE:+91 98765 43210} or {PHONE:022 2778 1234}.
O telefone da loja em {LOCATION:São Paulo} é {PHONE:(11) 3456-7890} e o celular {PHONE:+55 11 91234-5678}.
Tokyo desk: {PHONE:03-1234-5678}, mobile {PHONE:090-1234-5678}.
Sydney branch {PHONE:(02) 9374 4000}, or mobile {PHONE:0412 345 678}.
Call {PHONE:1-800-555-0199 ext. 42} for billing questions.
Her number changed to {PHONE:212.555.0147}.
Phone: {PHONE:+1 650 253 0000}; email: {EMAIL:press@google.com}
The order number is 4000123456 and it shipped on 2024-03-15.
Invoice INV-2023-00457 totals $1,249.99, due 03/31/2024.
Ship to 1600 Amphitheatre Parkway, {LOCATION:Mountain View}, CA 94043.
Our ZIP code is 10001-1234 and the suite is 2200.
The meeting is at 10:30 on 12.03.2024 in room 404.
Tracking number 1Z999AA10123456784 should arrive Friday.
The population grew from 8,336,817 to 8,804,190 between 2010 and 2020.
Charge my card {CREDIT_CARD:4539 1488 0343 6467} please.
Use the amex {CREDIT_CARD:3714-496353-98431} for the hotel.
My card number is {CREDIT_CARD:5425233430109903}, expiry 04/27, CVV 123.
The reference 1234 5678 9012 3456 is not a card number.
Account 4111 1111 1111 1112 was declined (that fails the checksum anyway).
Wire it to {IBAN:DE89 3704 0044 0532 0130 00} by Monday.
IBAN: {IBAN:GB29NWBK60161331926819}, BIC NWBKGB2L.
Mon IBAN est {IBAN:FR14 2004 1010 0505 0001 3M02 606}.
Transfer to {IBAN:ES91 2100 0418 4502 0005 1332} for {PERSON:Javier Ruiz}.
The IBAN DE89 3704 0044 0532 0130 01 bounced: the check digits are wrong.
My SSN is {SSN:536-90-4399} and my DOB is 07/04/1985.
Social security number: {SSN:219 09 9998}.
SSN 000-12-3456 and 666-45-1234 are never issued, nor is 912-34-5678.
The part number 123-45-0000 is on backorder.
Login from {IP_ADDRESS:192.168.1.24} failed three times.
The server at {IP_ADDRESS:203.0.113.77} answered, then {IP_ADDRESS:2001:db8:85a3::8a2e:370:7334}.
Upgrade to version 1.2.3.4 before connecting; build 10.0.19045.3803 is fine.
Block {IP_ADDRESS:10.0.0.0/8} and {IP_ADDRESS:fe80::1ff:fe23:4567:890a} at the firewall.
The value 999.999.1.1 is not an address and neither is 256.1.1.1.
Send the contract to {EMAIL:o'connor+contracts@law-firm.co.uk} today.
CC {EMAIL:first.last@sub.example-mail.org} and {EMAIL:x_y.z@ex.io}.
Twitter handle @janedoe is not an email, nor is user@localhost.
Write to {EMAIL:support@bank.example.com}.
{PERSON:John Smith} lives in {LOCATION:Boston} and his phone is {PHONE:617-555-0134}.
Contact {PERSON:Dr. Aisha Khan} at {EMAIL:aisha.khan@hospital.org} or on {PHONE:+44 161 496 0123}.
My NI number is {NATIONAL_ID:AB 12 34 56 C}.
Meu CPF é {NATIONAL_ID:123.456.789-09}.
Call me on {PHONE:+61 2 9374 4000} or {PHONE:+81 3-1234-5678}.
Room 12, floor 3, building 45; the code is 1234.
Flight BA 2490 departs at 14:05 from gate 23.
Price: €1.299,00 inkl. MwSt., Artikelnummer 4006381333931.
The ISBN 978-3-16-148410-0 is on the back cover.
The coordinates are 40.7128, -74.0060.
Version 2.14.1 of the app fixed it (build 2024.03.15).
Between 1999-2004 I lived in {LOCATION:Berlin}.
Order #A-77812-0093 was delivered to zip 60614.
Whatsapp {PHONE:+34 612 34 56 78} if you're in {LOCATION:Madrid}.
Chiamami al {PHONE:+39 06 6982 1234} o al {PHONE:347 123 4567}.
Bel me op {PHONE:+31 20 123 4567} of {PHONE:06-12345678}.
Llámame al {PHONE:+52 55 1234 5678}.
My card ending in 4242 was charged 42.00 USD.
Pay with {CREDIT_CARD:6011 0009 9013 9424} or {CREDIT_CARD:3566 0020 2036 0505}.
Test IBANs like GB82 WEST 1234 5698 7654 33 fail mod-97.
Fax it to {PHONE:+1 (202) 456-1111}.
He said 5551234 is his locker combination.
The tax year 2023/2024 ends on 5 April.
Support ticket 20240315-0042 is open.
The ip is {IP_ADDRESS:8.8.8.8}, DNS works.
Reach me at {EMAIL:ana.lopez@empresa.es} / {PHONE:+34 91 123 45 67}.
The sum is 4,111,111,111,111,111 in the simulation.
Delivery window 9-12, phone {PHONE:0161 496 0000}.
Kontonummer: {IBAN:AT61 1904 3002 3457 3201}, Inhaber {PERSON:Hans Müller}.
IBAN {IBAN:NL91ABNA0417164300} please.
{IBAN:BE68539007547034} is my Belgian account.
Italian IBAN {IBAN:IT60 X054 2811 1010 0000 0123 456}.
Swiss: {IBAN:CH93 0076 2011 6238 5295 7}.
My SSN: {SSN:078-05-1121}; the wallet card one was 078-05-1120.
ok so my number is {PHONE:+1 (917) 555-0143} and my email {EMAIL:tom@acme.io} - thx!!
dm me on whatsapp {PHONE:+44 7911 123456} or mail <{EMAIL:k.tanaka@example.jp}>
tel:{PHONE:+14155550198}
mailto:{EMAIL:billing@shop.example.com}?subject=refund
The API runs on {IP_ADDRESS:10.0.0.12}:8080 and the docs on port 8000.
Connect to [{IP_ADDRESS:2001:db8::1}]:443 over TLS.
MAC 00:1A:2B:3C:4D:5E is the laptop's network card.
Request id 123e4567-e89b-12d3-a456-426614174000 failed at 12:34:56.
Commit 9fceb02 fixed it; deployed v2.3.4 on 2024-06-01.
{"card": "{CREDIT_CARD:5555555555554444}", "cvc": "123", "exp": "12/26"}
| name | ssn |\n| Bob | {SSN:372-48-1190} |
Numbers to try: {PHONE:020 7123 4567}, {PHONE:0121 496 0000} or {PHONE:0800 123 4567}.
Ref: 2024/0032/AB — please quote it when calling.
I paid £1,234.56 on 14/02/2024 with card ending 1111.
Temperature 36.6, pulse 72, BP 120/80, weight 70.5 kg.
Call between 08:00-17:00 on {PHONE:(02) 4567 8901}.
We're at 221B Baker Street, {LOCATION:London} NW1 6XE.
Lot 5, Block 12, Unit 304, Phase 2.
His old number {PHONE:555-0100} is disconnected.
Score was 3-2-1 after extra time, attendance 45,213.
Coordinates: 51.5074° N, 0.1278° W.
The phone model is iPhone 15 and the IMEI is 490154203237518.
EAN 4006381333931 on the box; UPC 036000291452.
GitHub token {SECRET:ghp_16C7e42F292c6912E7710c838347Ae178B4a} in the logs, remove it!
Ping {IP_ADDRESS:172.16.254.1} then {IP_ADDRESS:::ffff:192.0.2.128}.
Software 4.2.0.1 requires Windows 10.0.19041.
Her SSN (per the form) is {SSN:501-32-7754}, DOB 1990-01-01.
Backup codes: 4821-9937, 1183-5520, 7719-0042.
Transfer ref 00012345678 to sort code 20-00-00, account 55779911.
Reach {PERSON:Priya} on {PHONE:+91-80-4123-4567} or {PHONE:080 4123 4567}.
Mi número es {PHONE:+52 1 55 5555 1234}.
Mein Handy: {PHONE:0151 23456789}.
Mon portable : {PHONE:07 81 23 45 67}.
電話番号は{PHONE:03-3456-7890}です。
Celular: {PHONE:(21) 98765-4321}.
ssn {SSN:432876543}
Employee id 432876543 is on the badge.
Customer since 2014, member no. 1234567890.
"""

PHONES = [
    "(212) 555-0123",
    "212-555-0178",
    "212.555.0199",
    "+1 212 555 0100",
    "+1-415-555-0111",
    "1-800-275-2273",
    "(650) 253-0000 x1234",
    "646-555-0172 ext. 88",
    "+44 7700 900123",
    "+44 (0)20 7946 0018",
    "020 7946 0321",
    "07911 123456",
    "0161 496 0734",
    "+49 89 1234567",
    "+49 151 23456789",
    "030 12345678",
    "089/1234567",
    "+33 6 12 34 56 78",
    "01 45 67 89 10",
    "+33 (0)1 45 67 89 10",
    "+91 98765 43210",
    "+91-22-2778-1234",
    "098765 43210",
    "+55 (21) 98765-4321",
    "(21) 2345-6789",
    "+55 11 3456 7890",
    "+81 90-1234-5678",
    "03-5555-1234",
    "06-6123-4567",
    "+61 412 345 678",
    "(03) 9123 4567",
    "0412 345 678",
    "+61 (0)2 9374 4000",
    "+34 612 345 678",
    "+39 347 123 4567",
    "+31 6 12345678",
    "+52 1 55 1234 5678",
    "+1 (416) 555-0143",
    "604-555-0186",
    "+353 1 234 5678",
    "+27 21 123 4567",
    "+86 138 0013 8000",
    "001-202-555-0163",
    "202-555-0134x321",
]
PHONE_SENTENCES = [
    "You can call me at {} after 6pm.",
    "My phone number is {}.",
    "Please ring {} to confirm.",
    "Contact: {}",
    "Reach our support line on {} anytime.",
    "If urgent, dial {}.",
    "Mobile: {} (WhatsApp too)",
    "The clinic's number is {}, ask for reception.",
    "Text {} when you arrive.",
    "{} is my work line.",
    "Leave a message at {} and I'll call back.",
    "Tel. {}",
]
NEG_NUMBERS = [
    "Order 4000-1234-56 shipped.",
    "Your confirmation code is 839201.",
    "The total is $12,345.67.",
    "Meet me on 2024-05-17 at 14:30.",
    "It happened on 17/05/2024.",
    "Zip code 90210.",
    "Postcode SW1A 1AA.",
    "We sold 1,250,000 units in 2023.",
    "Booking reference 7843-2211-09.",
    "Serial number SN-2024-000123.",
    "Version 3.10.4.1 is installed.",
    "Release 4.19.0.2 fixed the bug.",
    "Tracking 9400 1000 0000 0000 0000 00.",
    "Invoice number 2024-000871.",
    "Account balance 3 450,00 EUR.",
    "The years 1990-1995 were busy.",
    "Rooms 101-105 are booked.",
    "Patent US 7,654,321 B2.",
    "Call the function 3 times with 1.5.2.",
    "Reading 12 34 56 on the meter.",
    "Page 123-456 of the manual.",
    "The PIN is 4 digits.",
    "Our 2023 revenue was 12 345 678 EUR.",
    "Batch 20231105-77 was recalled.",
]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for d in "0123456789":
        n = body + d
        total, parity = 0, len(n) % 2
        for i, ch in enumerate(n):
            x = int(ch)
            if i % 2 == parity:
                x = x * 2 - 9 if x * 2 > 9 else x * 2
            total += x
        if total % 10 == 0:
            return n
    raise AssertionError


def group(number: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for s in sizes:
        out.append(number[i : i + s])
        i += s
    return sep.join(out)


def card(rng: random.Random, valid: bool = True) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16), ("35", 16)])
    number = luhn_complete(prefix, length, rng)
    if not valid:
        number = number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)
    sep = rng.choice(["", " ", "-"])
    sizes = [4, 6, 5] if length == 15 else [4, 4, 4, 4]
    return group(number, sizes, sep)


def iban(rng: random.Random, valid: bool = True) -> str:
    from stdnum import iban as stdiban

    country, bban_len = rng.choice([("DE", 18), ("GB", 18), ("FR", 23), ("ES", 20), ("NL", 14), ("IT", 23), ("BE", 12)])
    if country in ("GB", "NL"):
        bank = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        bban = bank + "".join(rng.choice("0123456789") for _ in range(bban_len - 4))
    elif country == "IT":
        bban = rng.choice("ABCDEFGHIJ") + "".join(rng.choice("0123456789") for _ in range(bban_len - 1))
    else:
        bban = "".join(rng.choice("0123456789") for _ in range(bban_len))
    check = stdiban.calc_check_digits(country + "00" + bban)
    value = country + check + bban
    if not valid:
        value = value[:2] + f"{(int(value[2:4]) + rng.randint(1, 50)) % 97 + 2:02d}" + value[4:]
        if stdiban.is_valid(value):
            value = value[:-1] + str((int(value[-1]) + 1) % 10)
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.6 else value


def ssn(rng: random.Random, valid: bool = True) -> str:
    if valid:
        area = rng.choice([a for a in range(1, 900) if a != 666])
        group_, serial = rng.randint(1, 99), rng.randint(1, 9999)
    else:
        area, group_, serial = rng.choice(
            [
                (0, rng.randint(1, 99), rng.randint(1, 9999)),
                (666, rng.randint(1, 99), rng.randint(1, 9999)),
                (rng.randint(900, 999), rng.randint(1, 99), rng.randint(1, 9999)),
                (rng.randint(1, 899), 0, rng.randint(1, 9999)),
                (rng.randint(1, 665), rng.randint(1, 99), 0),
            ]
        )
    return f"{area:03d}-{group_:02d}-{serial:04d}"


def ip(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    groups = [f"{rng.randint(0, 65535):x}" for _ in range(8)]
    return ":".join(groups) if rng.random() < 0.5 else f"2001:db8:{groups[2]}::{groups[7]}"


EMAILS = [
    "john.smith@example.com",
    "a.b-c_d+tag@mail.example.co.uk",
    "ceo@startup.io",
    "maria_92@yahoo.com.br",
    "li.wei@company.cn",
    "info@bäckerei.de".replace("ä", "ae"),
    "first.o'neil@firm.ie",
    "hr-team@corp.example.org",
    "x@y.co",
    "user.name+filter@gmail.com",
    "SUPPORT@EXAMPLE.NET",
    "jean-luc.picard@starfleet.fed.us",
]
TEMPLATES = {
    "EMAIL": [
        "Email me at {}.",
        "Send the slides to {} please",
        "My address is {} (personal).",
        "{} wrote back yesterday.",
    ],
    "CREDIT_CARD": [
        "Card: {}",
        "Please charge {} for the order.",
        "My card number is {} exp 09/26.",
        "Pay with {} today.",
    ],
    "IBAN": ["IBAN {}", "Send the refund to {}.", "My account is {} at the local bank.", "Beneficiary IBAN: {}."],
    "SSN": ["SSN {}", "My social security number is {}.", "Enter {} in the tax form.", "Her SSN: {}"],
    "IP_ADDRESS": [
        "Request from {} was blocked.",
        "Connect to {} on port 22.",
        "Client IP: {}",
        "The VPN gave me {} today.",
    ],
}
NEG = {
    "CREDIT_CARD": ["Reference {} is on the invoice.", "Card: {}", "The number {} was rejected."],
    "IBAN": ["IBAN {} is invalid.", "Send the refund to {}."],
    "SSN": ["SSN {} looks wrong.", "Enter {} in the form."],
}


def parse(line: str) -> dict[str, object]:
    text, spans, last = "", [], 0
    for m in MARK.finditer(line):
        text += line[last : m.start()]
        start = len(text)
        text += m.group(2)
        spans.append({"start": start, "end": len(text), "type": m.group(1)})
        last = m.end()
    return {"text": text + line[last:], "spans": spans}


def rows() -> list[dict[str, object]]:
    rng = random.Random(7)
    out = [parse(line) for line in HAND.splitlines() if line.strip()]
    for number in PHONES:
        out.append(parse(rng.choice(PHONE_SENTENCES).format("{PHONE:" + number + "}")))
    out += [parse(s) for s in NEG_NUMBERS]
    makers = {"CREDIT_CARD": card, "IBAN": iban, "SSN": ssn}
    for _ in range(30):
        out.append(parse(rng.choice(TEMPLATES["EMAIL"]).format("{EMAIL:" + rng.choice(EMAILS) + "}")))
        out.append(parse(rng.choice(TEMPLATES["IP_ADDRESS"]).format("{IP_ADDRESS:" + ip(rng) + "}")))
        for t, make in makers.items():
            out.append(parse(rng.choice(TEMPLATES[t]).format("{" + t + ":" + make(rng) + "}")))
    for _ in range(15):
        for t, make in makers.items():
            out.append(parse(rng.choice(NEG[t]).format(make(rng, valid=False))))  # type: ignore[operator]
    return out


if __name__ == "__main__":
    path = Path(__file__).with_name("pii_dev.jsonl")
    data = rows()
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    print(f"{len(data)} rows -> {path}")
