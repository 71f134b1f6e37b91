"""Write the second labelled redaction development set, tests/data/pii_dev2_en.json.

The project's first development set (../shared/data/pii/synth_dataset_v2.json) is presidio-research's: Faker
values in presidio-research's templates. This one comes from another source on both counts, so that a redaction
change can be checked on text it was not written for: the templates below were written for Enclave as business
text is written (HR letters, support tickets, insurance claims, appointment notes, bank letters, minutes, chat,
forms, e-mail signatures...), without looking at the redactor or the first set's templates, and the values come
from mimesis (MIT), a generator other than Faker: names of 24 locales (the Cyrillic ones romanized by mimesis's
own ``romanize``), street addresses in 17 countries' layouts, companies, cities, countries, dates, card numbers,
IP addresses. Mimesis has no IBAN: the IBANs are built here and checked with python-stdnum. Given names that are
also English words (Rose, Will, Hope...) are a short list written here, since mimesis's lists lack most of them;
the surnames that are words are taken from mimesis's English list.

Records are presidio-research style (``full_text``, ``spans`` with ``entity_type``, ``entity_value``,
``start_position``, ``end_position`` end exclusive, ``template_id``), which ``enclave eval redaction --dataset``
reads. Offsets are computed while each template is filled and checked against the text.

Labelling conventions: a postal address written as one (street line, unit, postcode and town, on one line or on
several) is one STREET_ADDRESS span; a country line after it, or a town named apart from an address, is GPE. A
courtesy or academic title before a name is TITLE, apart from the PERSON span. Dates, times, weekdays and card
expiry dates are DATE_TIME. Reference, order, policy and ticket numbers are not labelled (they are not personal).

Deterministic: the seed is fixed, and the output is byte-identical for the pinned mimesis version only (its data
files are the values), which this script checks before writing. It is a development tool: the product never
imports it, and mimesis is no dependency of the project.

Usage: mimesis is in the dev extra (``pip install -e '.[dev]'``), or in any environment:
    pip install mimesis==22.2.0 python-stdnum
    python scripts/make_pii_dev2.py [--out PATH]
tests/test_pii_dev2.py checks the file and, when mimesis 22.2.0 is importable, that this script writes it again
byte for byte.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIMESIS_VERSION = "22.2.0"
SEED = 20261207
RECORDS_PER_TEMPLATE = 13
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "pii_dev2_en.json"

ENTITY_TYPES = frozenset(
    {
        "PERSON",
        "TITLE",
        "STREET_ADDRESS",
        "GPE",
        "ORGANIZATION",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "DATE_TIME",
        "ZIP_CODE",
        "IP_ADDRESS",
    }
)

# Locales of people's names, with weights: English-speaking ones most often, then European, then others.
# ru, uk and kk names are Cyrillic in mimesis and romanized with mimesis.keys.romanize.
NAME_LOCALES = {
    "en": 6,
    "en-gb": 5,
    "en-au": 1,
    "en-ca": 1,
    "de": 3,
    "fr": 3,
    "es": 3,
    "it": 3,
    "pl": 3,
    "nl": 3,
    "pt": 2,
    "cs": 1,
    "sv": 1,
    "da": 1,
    "fi": 1,
    "hu": 1,
    "tr": 2,
    "az": 1,
    "kk": 1,
    "ru": 1,
    "uk": 1,
    "es-mx": 2,
    "pt-br": 2,
    "de-ch": 1,
}
ROMANIZED = ("kk", "ru", "uk")

# Countries of postal addresses: the locale mimesis draws the parts from, the English name, the layout.
ADDRESS_COUNTRIES = {
    "en": ("United States", "us", 6),
    "en-gb": ("United Kingdom", "gb", 5),
    "en-ca": ("Canada", "ca", 2),
    "de": ("Germany", "postcode-first", 3),
    "de-at": ("Austria", "postcode-first", 1),
    "de-ch": ("Switzerland", "postcode-first", 1),
    "fr": ("France", "postcode-first", 3),
    "nl": ("the Netherlands", "postcode-first", 2),
    "nl-be": ("Belgium", "postcode-first", 1),
    "es": ("Spain", "postcode-first", 2),
    "it": ("Italy", "postcode-first", 2),
    "pl": ("Poland", "postcode-first", 2),
    "pt": ("Portugal", "postcode-first", 1),
    "sv": ("Sweden", "postcode-first", 1),
    "da": ("Denmark", "postcode-first", 1),
    "cs": ("Czech Republic", "postcode-first", 1),
    "fi": ("Finland", "postcode-first", 1),
}

# Given names that are also English words. Those marked * are in mimesis's English lists; the others are added
# here because mimesis lacks them.
WORD_GIVEN_NAMES = {
    "male": "Will* Mark* Bill* Ray* Frank* Jack* Art* Guy* Drew* Chase* Hunter* Rusty* Glen* Dale* Miles* Bob* "
    "Lance* Cliff* Wade* Rob* Herb* Sterling* Earl* Victor* Grant Bud* Forest*",
    "female": "Rose Hope Grace Faith June May Dawn Joy Ivy Holly Amber Daisy Summer April Iris Olive Ruby Penny "
    "Heather Carol* Angel* Honey* Robin* Sandy* Pat* Jean*",
}
# Surnames that are English words, all of them in mimesis's English surname list (checked at run time).
WORD_SURNAMES = [
    "Baker",
    "Young",
    "Brown",
    "Green",
    "White",
    "Long",
    "Hill",
    "Wood",
    "Page",
    "Hall",
    "King",
    "Rich",
    "Moody",
    "Best",
    "Little",
    "Short",
    "Bush",
    "Fox",
    "Stone",
    "Cook",
    "Mason",
    "Black",
    "Church",
    "Bell",
    "Rice",
    "Price",
    "Lane",
    "Gray",
    "Wise",
    "Strong",
    "Love",
    "Sharp",
    "Small",
    "Banks",
    "Park",
    "Ward",
    "Bird",
    "Hunt",
    "Fields",
    "Rivers",
    "Mills",
    "Woods",
    "Knight",
    "Marsh",
    "Frost",
    "Snow",
    "Day",
    "Burns",
    "Gates",
    "Waters",
    "Cross",
    "May",
    "Hart",
    "Head",
    "Noble",
    "Sweet",
]

TITLES = {
    "male": ["Mr", "Mr.", "Mr.", "Dr", "Dr.", "Prof."],
    "female": ["Ms", "Ms.", "Mrs", "Mrs.", "Miss", "Dr.", "Prof."],
}

# Bank account layouts for the IBANs (n digit, a upper-case letter, c digit or letter), checked by stdnum.
IBAN_LAYOUTS = {
    "DE": "18n",
    "GB": "4a14n",
    "NL": "4a10n",
    "FR": "10n11n2n",
    "ES": "20n",
    "IT": "1a10n12n",
    "BE": "12n",
    "AT": "16n",
    "CH": "5n12n",
    "PL": "24n",
    "IE": "4a14n",
    "PT": "21n",
    "SE": "20n",
    "DK": "14n",
}

# Phone layouts: '#' any digit, 'N' a digit 2-9 (North American area codes and exchanges).
PHONE_LAYOUTS = {
    "intl": [
        "+44 20 #### ####",
        "+44 7### ######",
        "+44 161 ### ####",
        "+49 30 ########",
        "+49 1## #######",
        "+49 89 #######",
        "+33 # ## ## ## ##",
        "+33 6 ## ## ## ##",
        "+34 9## ### ###",
        "+34 6## ## ## ##",
        "+39 02 #### ####",
        "+39 3## ### ####",
        "+31 20 ### ####",
        "+31 6 ########",
        "+48 22 ### ## ##",
        "+48 5## ### ###",
        "+351 21 ### ####",
        "+1 N##-N##-####",
        "+1 (N##) N##-####",
        "+1.N##.N##.####",
        "+90 (5##) ### ## ##",
        "+52 55 #### ####",
        "+55 11 9####-####",
        "+7 7## ### ## ##",
        "+353 8# ### ####",
        "+41 7# ### ## ##",
        "+46 7# ### ## ##",
        "+45 ## ## ## ##",
        "+44 (0)20 #### ####",
        "+49 (0)30 #######",
        "0044 20 #### ####",
        "+61 4## ### ###",
    ],
    "paren": ["(N##) N##-####", "(N##) N## ####", "(0##) #### ####", "(01###) ######", "(0) 6 ## ## ## ##"],
    "dot": ["N##.N##.####", "0#.##.##.##.##", "N##.N##.####", "0#.##.##.##.##"],
    "local": ["N##-####", "N## ####", "N######", "N##-####"],
    "national": ["07### ######", "020 #### ####", "0#### ######", "N##-N##-####", "06 ## ## ## ##", "030 ########"],
}

CITIES_LOCALES = ("en", "en-gb", "de", "fr", "es", "it", "nl", "pl", "pt", "sv", "fi", "cs", "da", "en-ca")
COMPANY_LOCALES = ("en", "de", "fr", "nl", "it", "es")

# The templates (an id, then the text, with fields) are in the module beside this script, also when the tests load
# this file by its path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pii_dev2_templates import TEMPLATES  # noqa: E402


@dataclass
class Person:
    first: str
    last: str
    gender: str
    middle_initial: str
    title: str


@dataclass
class Address:
    street: str
    tail: str
    city: str
    country: str
    layout: str

    def line(self) -> str:
        return f"{self.street}, {self.tail}"

    def block(self) -> str:
        return f"{self.street}\n{self.tail}"


@dataclass
class Providers:
    """Every mimesis provider the values come from, seeded once, called in a fixed order."""

    rng: random.Random
    people: dict[str, Any] = field(default_factory=dict)
    addresses: dict[str, Any] = field(default_factory=dict)
    companies: dict[str, Any] = field(default_factory=dict)
    romanize: dict[str, Any] = field(default_factory=dict)
    english_person: Any = None
    english_address: Any = None
    payment: Any = None
    internet: Any = None
    datetime: Any = None
    word_given: dict[str, list[str]] = field(default_factory=dict)
    word_surnames: list[str] = field(default_factory=list)


def make_providers() -> Providers:
    import mimesis
    from mimesis import Address as MAddress
    from mimesis import Datetime, Finance, Internet, Locale, Payment
    from mimesis import Person as MPerson
    from mimesis.keys import romanize

    if mimesis.__version__ != MIMESIS_VERSION:
        raise SystemExit(f"mimesis {mimesis.__version__} is installed; this set is made with {MIMESIS_VERSION}")
    providers = Providers(rng=random.Random(SEED))
    offset = 1
    for code in NAME_LOCALES:
        providers.people[code] = MPerson(Locale(code), seed=SEED + offset)
        offset += 1
    for code in ROMANIZED:
        providers.romanize[code] = romanize(Locale(code))
    for code in ADDRESS_COUNTRIES:
        providers.addresses[code] = MAddress(Locale(code), seed=SEED + offset)
        offset += 1
    for code in CITIES_LOCALES:
        providers.addresses.setdefault(code, MAddress(Locale(code), seed=SEED + offset))
        offset += 1
    for code in COMPANY_LOCALES:
        providers.companies[code] = Finance(Locale(code), seed=SEED + offset)
        offset += 1
    providers.english_person = MPerson(Locale.EN, seed=SEED + 100)
    providers.english_address = MAddress(Locale.EN, seed=SEED + 101)
    providers.payment = Payment(seed=SEED + 102)
    providers.internet = Internet(seed=SEED + 103)
    providers.datetime = Datetime(Locale.EN, seed=SEED + 104)
    english = json.loads((Path(mimesis.__file__).parent / "datasets" / "en" / "person.json").read_text("utf-8"))
    for gender, names in WORD_GIVEN_NAMES.items():
        listed = set(english["names"]["male"]) | set(english["names"]["female"])
        words = names.split()
        for word in words:
            if word.endswith("*") and word[:-1] not in listed:
                raise SystemExit(f"{word[:-1]} is no longer in mimesis's English given names")
        providers.word_given[gender] = [word.rstrip("*") for word in words]
    missing = [name for name in WORD_SURNAMES if name not in english["surnames"]]
    if missing:
        raise SystemExit(f"not in mimesis's English surnames: {missing}")
    providers.word_surnames = list(WORD_SURNAMES)
    return providers


def ascii_fold(text: str) -> str:
    special = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "ı": "i", "đ": "d", "æ": "ae", "ə": "e", "Ə": "E"}
    text = "".join(special.get(char, char) for char in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if char.isascii() and (char.isalnum() or char in " -'"))


class Filler:
    """The values of one record: the Nth person, address... of a template is drawn once and reused."""

    def __init__(self, providers: Providers, wordy_first: set[str], wordy_last: set[str]) -> None:
        self.p = providers
        self.rng = providers.rng
        self.wordy_first = wordy_first
        self.wordy_last = wordy_last
        self.cache: dict[tuple[str, str], tuple[str | None, str]] = {}
        self.persons: dict[str, Person] = {}
        self.addresses: dict[str, Address] = {}

    # People -------------------------------------------------------------------------------------------------
    def person(self, index: str) -> Person:
        if index in self.persons:
            return self.persons[index]
        from mimesis.enums import Gender

        gender = self.rng.choice(["male", "female"])
        codes = list(NAME_LOCALES)
        code = self.rng.choices(codes, weights=[NAME_LOCALES[c] for c in codes])[0]
        provider = self.p.people[code]
        enum = Gender.MALE if gender == "male" else Gender.FEMALE
        for _ in range(50):  # a few of mimesis's names carry stray marks ("???"): drawn again
            first = provider.first_name(enum)
            last = provider.last_name(enum)
            if code in self.p.romanize:
                first, last = self.p.romanize[code](first), self.p.romanize[code](last)
            if NAME_SHAPE.match(first) and NAME_SHAPE.match(last):
                break
        if index in self.wordy_first:
            first = self.rng.choice(self.p.word_given[gender])
        if index in self.wordy_last:
            last = self.rng.choice(self.p.word_surnames)
        middle = self.rng.choice("ABCDEFGHJKLMNPRSTW")
        title = self.rng.choice(TITLES[gender])
        person = Person(first, last, gender, middle, title)
        self.persons[index] = person
        return person

    def email_for(self, person: Person) -> str:
        first = ascii_fold(person.first).lower().replace(" ", "").replace("'", "")
        last = ascii_fold(person.last).lower().replace(" ", "").replace("'", "")
        local = self.rng.choice(
            [
                f"{first}.{last}",
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}_{last}",
                f"{first}{last[0]}",
                f"{last}.{first}",
                f"{first}.{last}{self.rng.randint(1, 99)}",
                f"{first[0]}.{last}",
            ]
        )
        if self.rng.random() < 0.5:
            domain = self.rng.choice(["gmail.com", "outlook.com", "yahoo.co.uk", "web.de", "orange.fr", "icloud.com"])
        else:
            company = ascii_fold(self.company()).lower()
            slug = re.sub(r"[^a-z0-9]+", "", company.split(" ")[0]) or "mail"
            domain = f"{slug}.{self.rng.choice(['com', 'co.uk', 'de', 'fr', 'nl', 'eu', 'io'])}"
        return f"{local}@{domain}"

    # Addresses ----------------------------------------------------------------------------------------------
    def address(self, index: str) -> Address:
        if index in self.addresses:
            return self.addresses[index]
        codes = list(ADDRESS_COUNTRIES)
        code = self.rng.choices(codes, weights=[ADDRESS_COUNTRIES[c][2] for c in codes])[0]
        country, layout, _ = ADDRESS_COUNTRIES[code]
        provider = self.p.addresses[code]
        street = provider.address()
        city = provider.city()
        postcode = provider.postal_code()
        if layout == "us":
            if self.rng.random() < 0.3:
                street += self.rng.choice([", Apt ", " Apt. ", ", Suite ", ", Unit "]) + str(self.rng.randint(1, 40))
            tail = f"{city}, {provider.state(abbr=True)} {postcode}"
        elif layout == "gb":
            if self.rng.random() < 0.2:
                street = f"Flat {self.rng.randint(1, 30)}, {street}"
            tail = f"{city} {postcode}" if self.rng.random() < 0.6 else f"{city}, {postcode}"
        elif layout == "ca":
            province = provider.state(abbr=True).split("-")[-1]
            tail = f"{city}, {province} {postcode}"
        else:
            tail = f"{postcode} {city}"
        result = Address(street, tail, city, country, layout)
        self.addresses[index] = result
        return result

    # Other values -------------------------------------------------------------------------------------------
    def company(self) -> str:
        code = self.rng.choice(COMPANY_LOCALES)
        return str(self.p.companies[code].company())

    def city(self) -> str:
        code = self.rng.choice(CITIES_LOCALES)
        return str(self.p.addresses[code].city())

    def digits(self, layout: str) -> str:
        out = []
        for char in layout:
            if char == "#":
                out.append(str(self.rng.randint(0, 9)))
            elif char == "N":
                out.append(str(self.rng.randint(2, 9)))
            else:
                out.append(char)
        return "".join(out)

    def phone(self, style: str | None) -> str:
        if style is None:
            style = self.rng.choice(["intl", "intl", "paren", "dot", "national", "national", "local"])
        return self.digits(self.rng.choice(PHONE_LAYOUTS[style]))

    def card(self) -> str:
        from mimesis.enums import CardType

        number = str(self.p.payment.credit_card_number(self.rng.choice(list(CardType))))
        style = self.rng.random()
        if style < 0.2:
            return number.replace(" ", "")
        if style < 0.35:
            return number.replace(" ", "-")
        return number

    def iban(self) -> str:
        from stdnum import iban as stdnum_iban

        country = self.rng.choice(sorted(IBAN_LAYOUTS))
        parts = re.findall(r"(\d+)([nac])", IBAN_LAYOUTS[country])
        for _ in range(10_000):
            bban = ""
            for count, kind in parts:
                for _ in range(int(count)):
                    if kind == "n":
                        bban += str(self.rng.randint(0, 9))
                    elif kind == "a":
                        bban += self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                    else:
                        bban += self.rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            number = stdnum_iban.calc_check_digits(country + "00" + bban)
            candidate = f"{country}{number}{bban}"
            if stdnum_iban.is_valid(candidate):
                break
        else:
            raise RuntimeError(f"no valid IBAN for {country}")
        if self.rng.random() < 0.7:
            return " ".join(candidate[i : i + 4] for i in range(0, len(candidate), 4))
        return candidate

    def ssn(self) -> str:
        area = self.rng.choice([n for n in range(1, 900) if n != 666])
        group = self.rng.randint(1, 99)
        serial = self.rng.randint(1, 9999)
        separator = "-" if self.rng.random() < 0.8 else " "
        return f"{area:03d}{separator}{group:02d}{separator}{serial:04d}"

    def date(self, birth: bool = False, style: str | None = None) -> str:
        value = self.p.datetime.date(start=1948, end=2004) if birth else self.p.datetime.date(start=2019, end=2027)
        formats = {
            "long": ["%d %B %Y", "%B %d, %Y", "%A %d %B", "%d %b %Y", "%b %d", "%d %B"],
            "short": ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%y"],
        }
        chosen = style or self.rng.choice(["long", "long", "short"])
        layout = self.rng.choice([f for f in formats[chosen] if "%Y" in f or "%y" in f] if birth else formats[chosen])
        return value.strftime(layout.replace("%d", str(value.day)) if chosen == "long" else layout)

    def time(self) -> str:
        hour, minute = self.rng.randint(7, 19), self.rng.choice([0, 0, 15, 30, 45, 10, 50])
        if self.rng.random() < 0.5:
            return f"{hour:02d}:{minute:02d}"
        suffix = "am" if hour < 12 else "pm"
        twelve = hour if hour <= 12 else hour - 12
        return f"{twelve}:{minute:02d} {suffix}" if minute else f"{twelve}{suffix}"

    def value(self, kind: str, index: str) -> tuple[str | None, str]:
        key = (kind, index)
        if key not in self.cache:
            self.cache[key] = self._value(kind, index)
        return self.cache[key]

    def _value(self, kind: str, index: str) -> tuple[str | None, str]:
        rng = self.rng
        if kind in ("name", "first", "last", "wfirst", "wlast", "initlast", "lastfirst", "fullmid", "initials"):
            person = self.person(index)
            text = {
                "name": f"{person.first} {person.last}",
                "first": person.first,
                "wfirst": person.first,
                "last": person.last,
                "wlast": person.last,
                "initlast": f"{person.first[0]}. {person.last}",
                "lastfirst": f"{person.last}, {person.first}",
                "fullmid": f"{person.first} {person.middle_initial}. {person.last}",
                "initials": f"{person.first[0]}{person.last[0]}".upper(),
            }[kind]
            return "PERSON", text
        if kind == "handle":
            person = self.person(index)
            parts = (ascii_fold(person.first), ascii_fold(person.last))
            return "PERSON", ".".join(part.lower().replace(" ", "").replace("'", "") for part in parts)
        if kind == "title":
            return "TITLE", self.person(index).title
        if kind == "dr":
            return "TITLE", rng.choice(["Dr", "Dr.", "Dr.", "Prof."])
        if kind in ("he", "his", "him", "He", "His"):
            male = self.person(index).gender == "male"
            word = {"he": ("he", "she"), "his": ("his", "her"), "him": ("him", "her")}[kind.lower()][0 if male else 1]
            return None, word.capitalize() if kind[0].isupper() else word
        if kind == "email":
            return "EMAIL_ADDRESS", self.email_for(self.person(index))
        if kind == "email_any":
            return "EMAIL_ADDRESS", str(self.p.english_person.email())
        if kind in ("addr", "addr_block", "street", "addr_tail"):
            address = self.address(index)
            text = {
                "addr": address.line(),
                "addr_block": address.block(),
                "street": address.street,
                "addr_tail": address.tail,
            }[kind]
            return "STREET_ADDRESS", text
        if kind == "acity":
            return "GPE", self.address(index).city
        if kind == "acountry":
            return "GPE", self.address(index).country
        if kind == "city":
            return "GPE", self.city()
        if kind == "country":
            return "GPE", str(self.p.english_address.country())
        if kind == "org":
            return "ORGANIZATION", self.company()
        if kind.startswith("phone"):
            style = kind.partition("_")[2] or None
            style = {"nat": "national"}.get(style or "", style)
            return "PHONE_NUMBER", self.phone(style)
        if kind == "card":
            return "CREDIT_CARD", self.card()
        if kind == "iban":
            return "IBAN_CODE", self.iban()
        if kind == "ssn":
            return "US_SSN", self.ssn()
        if kind == "date":
            return "DATE_TIME", self.date()
        if kind == "dob":
            return "DATE_TIME", self.date(birth=True)
        if kind == "time":
            return "DATE_TIME", self.time()
        if kind == "weekday":
            return "DATE_TIME", rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
        if kind == "exp":
            return "DATE_TIME", f"{rng.randint(1, 12):02d}/{rng.randint(26, 31)}"
        if kind == "ip":
            return "IP_ADDRESS", str(self.p.internet.ip_v4())
        if kind == "zip":
            return "ZIP_CODE", str(self.address(index).tail.split()[0])
        unlabelled = {
            "ref": lambda: f"{rng.choice(['INC', 'REQ', 'SR', 'TCK'])}-{rng.randint(10000, 999999)}",
            "order": lambda: rng.choice(["#", "", "ORD-"]) + str(rng.randint(1000000, 99999999)),
            "policy": lambda: f"{rng.choice(['POL', 'HH', 'MTR'])}{rng.randint(1000000, 9999999)}",
            "claimref": lambda: f"CLM/{rng.randint(2020, 2026)}/{rng.randint(10000, 99999)}",
            "invoice": lambda: f"INV-{rng.randint(2020, 2026)}-{rng.randint(100, 9999):04d}",
            "empno": lambda: f"{rng.choice(['E', 'S', ''])}{rng.randint(10000, 999999)}",
            "badge": lambda: f"{rng.choice(['V', 'LT', 'B'])}-{rng.randint(100, 9999)}",
            "pnr": lambda: "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
            "amount": lambda: (
                f"{rng.choice(['£', '€', '$'])}{rng.randint(12, 4800):,}.{rng.choice(['00', '50', '99', '20'])}"
            ),
            "n": lambda: str(rng.randint(2, 98)),
            "room": lambda: f"{rng.randint(1, 6)}.{rng.randint(1, 40):02d}",
        }
        if kind in unlabelled:
            return None, unlabelled[kind]()
        raise KeyError(f"unknown field {kind!r}")


NAME_SHAPE = re.compile(r"^[^\W\d_]+(?:(?:[ '’-]|\. ?)[^\W\d_]+)*[’]?$")
FIELD = re.compile(r"\{([A-Za-z_]+)(?:\.(\d))?(?:\|(lower|upper))?\}")


def fill(template_id: str, template: str, providers: Providers) -> dict[str, Any]:
    wordy_first = {m.group(2) or "1" for m in FIELD.finditer(template) if m.group(1) == "wfirst"}
    wordy_last = {m.group(2) or "1" for m in FIELD.finditer(template) if m.group(1) == "wlast"}
    filler = Filler(providers, wordy_first, wordy_last)
    text = ""
    spans = []
    position = 0
    for match in FIELD.finditer(template):
        text += template[position : match.start()]
        label, value = filler.value(match.group(1), match.group(2) or "1")
        if match.group(3) == "lower":
            value = value.lower()
        elif match.group(3) == "upper":
            value = value.upper()
        start = len(text)
        text += value
        if label is not None:
            spans.append(
                {"entity_type": label, "entity_value": value, "start_position": start, "end_position": len(text)}
            )
        position = match.end()
    text += template[position:]
    for span in spans:
        assert text[span["start_position"] : span["end_position"]] == span["entity_value"], (template_id, span)
        assert span["entity_type"] in ENTITY_TYPES, span
    return {"full_text": text, "spans": spans, "template_id": template_id}


def build_records() -> list[dict[str, Any]]:
    ids = [template_id for template_id, _ in TEMPLATES]
    assert len(ids) == len(set(ids)), "template ids must be unique"
    providers = make_providers()
    records = []
    texts: set[str] = set()
    for template_id, template in TEMPLATES:
        for _ in range(RECORDS_PER_TEMPLATE):
            record = fill(template_id, template, providers)
            while record["full_text"] in texts:  # a short template can draw the same values twice
                record = fill(template_id, template, providers)
            texts.add(record["full_text"])
            records.append(record)
    providers.rng.shuffle(records)
    return records


def serialize(records: list[dict[str, Any]]) -> str:
    """One record a line: a readable diff when the set is regenerated."""
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    return f"[\n{lines}\n]\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    records = build_records()
    args.out.write_text(serialize(records), "utf-8")
    counts: dict[str, int] = {}
    for record in records:
        for span in record["spans"]:
            counts[span["entity_type"]] = counts.get(span["entity_type"], 0) + 1
    print(f"wrote {args.out}: {len(records)} records from {len(TEMPLATES)} templates")
    for name, count in sorted(counts.items()):
        print(f"  {name}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
