"""The invented values that fill one planned document's templates: people, companies, dates, amounts, IBANs.

Every name, e-mail address, phone number, IBAN and address comes from Faker and is fictitious.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from bench.corpus_plan import DocumentPlan
from bench.corpus_templates import POOLS, SUBJECTS

FIRST_DATE = date(2023, 1, 1)
DATE_SPAN_DAYS = 900
FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
TITLES = {"en": ("Mr", "Ms"), "fr": ("M.", "Mme")}
TLDS = {"en_US": "com", "en_GB": "co.uk", "fr_FR": "fr"}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    title: str
    email: str
    phone: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


def make_fakers(seed: int) -> dict[str, Faker]:
    fakers = {}
    for offset, locale in enumerate(("en_US", "en_GB", "fr_FR")):
        fake = Faker(locale)
        fake.seed_instance(seed * 10 + offset)
        fakers[locale] = fake
    return fakers


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("", ascii_text.lower())


def format_date(day: date, locale: str) -> str:
    if locale == "fr_FR":
        return f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"
    if locale == "en_US":
        return day.strftime("%B ") + f"{day.day}, {day.year}"
    return f"{day.day} " + day.strftime("%B %Y")


def format_amount(value: float, locale: str) -> str:
    grouped = f"{value:,.2f}"
    if locale == "fr_FR":
        return grouped.replace(",", " ").replace(".", ",") + " €"
    return ("$" if locale == "en_US" else "£") + grouped


def english_ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def random_date(rng: random.Random) -> date:
    return FIRST_DATE + timedelta(days=rng.randrange(DATE_SPAN_DAYS))


def make_person(fake: Faker, rng: random.Random, language: str, domain: str) -> Person:
    female = rng.random() < 0.5
    first = fake.first_name_female() if female else fake.first_name_male()
    last = fake.last_name()
    return Person(first, last, TITLES[language][female], f"{slug(first)}.{slug(last)}@{domain}", fake.phone_number())


def format_iban(fake: Faker, rng: random.Random) -> str:
    iban = fake.iban()
    # Printed IBANs come both grouped by four and in one piece.
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.5 else iban


def document_values(plan: DocumentPlan, fake: Faker, rng: random.Random) -> dict[str, str]:
    company = fake.company()
    domain = f"{slug(company)[:20] or 'example'}.{TLDS[plan.locale]}"
    person, person2, person3 = (make_person(fake, rng, plan.language, domain) for _ in range(3))
    pools = POOLS[plan.language]
    return {
        "person": person.full,
        "first": person.first,
        "last": person.last,
        "title": person.title,
        "email": person.email,
        "phone": person.phone,
        "person2": person2.full,
        "email2": person2.email,
        "phone2": person2.phone,
        "person3": person3.full,
        "iban": format_iban(fake, rng),
        "address": ", ".join(fake.address().splitlines()),
        "company": company,
        "company2": fake.company(),
        "city": fake.city(),
        "date": format_date(random_date(rng), plan.locale),
        "ref": f"{slug(company)[:3].upper()}-{rng.randint(2023, 2025)}-{rng.randint(1, 999):03d}",
        "ticket": str(rng.randint(10_000, 99_999)),
        "subject": rng.choice(SUBJECTS.get((plan.kind, plan.language), ("",))),
        **{name: rng.choice(choices) for name, choices in pools.items()},
    }


def sentence_values(plan: DocumentPlan, rng: random.Random) -> dict[str, str]:
    """Values that change from one sentence to the next within a document."""
    day = rng.randint(1, 28)
    return {
        "date2": format_date(random_date(rng), plan.locale),
        "amount": format_amount(rng.randint(200, 250_000) + rng.choice((0, 0.5, 0.99)), plan.locale),
        "number": str(rng.randint(2, 30)),
        "pct": str(rng.randint(1, 20)),
        "hour": f"{rng.randint(7, 18):02d}",
        "minute": f"{rng.randint(0, 59):02d}",
        "day": str(day) if plan.language == "fr" else english_ordinal(day),
    }
