"""A second, independently generated PII set from Faker (the generator public synthetic PII sets are
built with), to check the detector generalises beyond tests/data/pii_dev.jsonl.

    python benchmarks/pii_faker.py --rows 1500 --out /tmp/pii_faker.jsonl && mastra eval pii --data /tmp/pii_faker.jsonl

Values come from Faker's providers in many locales (phone numbers in each locale's own formats,
card numbers of every issuer, IBANs, SSNs, IPv4/IPv6, emails), put in varied sentences; the
negatives are Faker's other numbers (dates, zip codes, prices, building numbers, ISBNs, EANs).
Needs ``pip install faker`` (dev extra).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "es_ES", "nl_NL", "pt_BR", "en_IN", "ja_JP", "en_AU", "en_CA"]

SENTENCES = {
    "PHONE": [
        "You can reach me at {}.",
        "My phone number is {}",
        "Call {} for details.",
        "{} is the best number to call.",
        "Please contact {} if anything changes.",
        "Phone: {}",
        "I tried {} twice but nobody answered.",
        "Her cell is {} and she prefers texts.",
        "Contact number: {}.",
        "The office line {} is open 9-5.",
        "For support, dial {}.",
        "His number, {}, is on the form.",
    ],
    "EMAIL": ["Email {} for access.", "Send it to {}", "My email address is {}.", "Contact: {}", "{} replied."],
    "CREDIT_CARD": [
        "My card number is {}.",
        "Charge {} please.",
        "Card {} expires soon.",
        "I paid with {} yesterday.",
        "The credit card {} was declined.",
    ],
    "IBAN": ["My IBAN is {}.", "Transfer the money to {}", "Account: {}.", "Please wire it to IBAN {} today."],
    "SSN": ["My SSN is {}.", "Social security number: {}", "SSN {} on file.", "Her social security number is {}."],
    "IP_ADDRESS": ["The request came from {}.", "IP address {} was blocked.", "Connect to {} now.", "Login from {}"],
}
NEGATIVE = [
    "The meeting is on {date}.",
    "Ship it to zip {zip}.",
    "It costs {price} dollars.",
    "Building {building} is closed.",
    "ISBN {isbn} is out of print.",
    "The EAN is {ean}.",
    "Born on {date}, at {time}.",
    "Order {order} is pending.",
    "It was {year} when we moved to {zip}.",
    "Version {version} is out.",
    "Total: {price} for {n} items.",
]


#: No hint of what the value is: the detector must tell a phone number from other numbers by itself.
NEUTRAL = ["{} was written on the note.", "I found {} in the old file.", "See {} below.", "Copy {} into the form."]
NEUTRAL_OTHER = {
    "aba": lambda f: f.aba(),
    "bban": lambda f: f.bban(),
    "passport": lambda f: f.passport_number(),
    "plate": lambda f: f.license_plate(),
    "ean8": lambda f: f.ean8(),
    "isbn10": lambda f: f.isbn10(),
    "postcode": lambda f: f.postcode(),
    "expiry": lambda f: f.credit_card_expire(),
    "swift": lambda f: f.swift(),
    "date_time": lambda f: str(f.date_time()),
}


def row(sentence: str, value: str, kind: str) -> dict[str, object]:
    start = sentence.index("{}")
    return {
        "text": sentence.replace("{}", value, 1),
        "spans": [{"start": start, "end": start + len(value), "type": kind}],
    }


def generate(n: int, seed: int = 13) -> list[dict[str, object]]:
    from faker import Faker

    rng = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed + i)
    us = fakers["en_US"]
    out: list[dict[str, object]] = []
    weights = {"PHONE": 5, "EMAIL": 2, "CREDIT_CARD": 2, "IBAN": 2, "SSN": 2, "IP_ADDRESS": 2, None: 3, "neutral": 4}
    kinds = [k for k, w in weights.items() for _ in range(w)]
    while len(out) < n:
        kind = rng.choice(kinds)
        f = fakers[rng.choice(LOCALES)]
        if kind == "neutral":  # half phone numbers, half other numbers, in the same context-free sentences
            sentence = rng.choice(NEUTRAL)
            if rng.random() < 0.5:
                out.append(row(sentence, f.phone_number(), "PHONE"))
            else:
                other = NEUTRAL_OTHER[rng.choice(sorted(NEUTRAL_OTHER))]
                try:
                    value = str(other(f))
                except AttributeError:  # the locale has no such provider
                    value = str(other(us))
                out.append({"text": sentence.replace("{}", value), "spans": []})
            continue
        if kind is None:
            values = {
                "date": us.date(pattern=rng.choice(["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"])),
                "zip": us.zipcode_plus4() if rng.random() < 0.3 else us.zipcode(),
                "price": f"{rng.uniform(1, 99999):,.2f}",
                "building": us.building_number(),
                "isbn": us.isbn13(),
                "ean": us.ean13(),
                "time": us.time(),
                "order": str(rng.randint(10**6, 10**10)),
                "year": us.year(),
                "version": ".".join(str(rng.randint(0, 20)) for _ in range(rng.choice([3, 4]))),
                "n": rng.randint(2, 99),
            }
            out.append({"text": rng.choice(NEGATIVE).format(**values), "spans": []})
            continue
        value = {
            "PHONE": f.phone_number,
            "EMAIL": f.email,
            "CREDIT_CARD": lambda: us.credit_card_number(),
            "IBAN": lambda: fakers[rng.choice(["en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"])].iban(),
            "SSN": lambda: us.ssn(),
            "IP_ADDRESS": lambda: us.ipv4() if rng.random() < 0.7 else us.ipv6(),
        }[kind]()
        out.append(row(rng.choice(SENTENCES[kind]), value, kind))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path, default=Path("/tmp/pii_faker.jsonl"))
    args = ap.parse_args()
    rows = generate(args.rows, args.seed)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} rows -> {args.out}")
