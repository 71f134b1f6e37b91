"""Recognizers Presidio lacks for our documents: postal addresses, phone numbers in any national
format, payment cards of every network, and French identifiers.

Each one generalizes from how the thing is written, never from a list of known values: a postal
address is a street line (a number and a street type, in the usual European and North American
orders) and the unit, postcode, town and country lines that follow it; a phone number is a run of
digit groups, trusted alone when its format can only be a phone number (a +country code, an
extension, the North American layout) and otherwise only next to a word such as "phone" or "fax".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import regex as re
from presidio_analyzer import EntityRecognizer, LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
)

from ingest.phone_matcher import DigitFloorPhoneRecognizer

# Regions whose national phone formats we expect in our users' documents.
PHONE_REGIONS = ("US", "GB", "FR", "DE", "BE", "CH", "CA", "IE", "ES", "IT", "NL", "LU")

# --- Street addresses -------------------------------------------------------------------------

# Street types written after the name: the USPS suffix list's common words and the British ones.
_EN_TYPES = (
    "Street|St|Str|Road|Rd|Avenue|Ave|Av|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Ter|"
    "Close|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Row|Crescent|Cres|Gardens|Grove|Mews|Walk|Trail|Trl|"
    "Turnpike|Tpke|Bypass|Pass|Pike|Plaza|Expressway|Expy|Freeway|Fwy|Alley|Loop|Crossing|Crossroad|Gateway|"
    "Green|Heights|Hts|Hill|Hills|Island|Islands|Junction|Meadows?|Park|Point|Ridge|Rapids|Summit|Flats?|"
    "Forges?|Extensions?|Estates?|View|Vista|Wharf|Quay|Embankment|Parade|Broadway|Causeway|Harbor|Harbour|"
    "Landing|Manor|Mill|Orchard|Port|Rise|Spur|Station|Throughway|Track|Union|Valley|Village|Wynd|Yard"
)
# Street types written before the name (Romance and Slavic languages; French ones in any case).
_PREFIX_TYPES = (
    "Via|Viale|Piazza|Piazzale|Vicolo|Rua|Avenida|Avda\\.?|Av\\.|Calle|C/|Carrer|Paseo|Passeig|Praça|Travessa|"
    "Rúa|Carretera|Ul\\.|ul\\.|ulica|Aleja|Bulevardul|Rue|rue|Avenue|avenue|Boulevard|boulevard|bd|Bd|"
    "(?i:allée|allee|impasse|chemin|quai|faubourg|rond-point)"
)
# Street types that are also common words ("take place", "en route"): addresses only after a number.
_NUMBERED_PREFIX_TYPES = (
    "Corso|Largo|Strada|Plaza|Camino|Ronda|al\\.|"
    "(?i:place|route|cours|square|passage|esplanade|promenade|sentier|voie|lieu-dit|résidence|hameau)"
)
# Germanic, Nordic, Finnic, Baltic and Hungarian street words, glued to the name or standing alone.
_COMPOUND_SUFFIXES = (
    "stra(?:ss|ß)e|str\\.|straat|gasse|weg|laan|plein|gracht|kade|steeg|dreef|singel|vej|vei|veien|vegen|"
    "gade|gata|gatan|vägen|väg|stræde|stræti|braut|vegur|katu|kuja|polku|tie|põik|utca|allee|platz|damm|markt"
)
_SEPARATE_TYPES = (
    "Strasse|Straße|Gasse|Weg|Allee|Platz|Ring|gate|gata|gatan|vej|vei|veien|tee|tér|utca|út|u\\.|straat|laan|Str\\."
)
_PARTICLE = (
    r"(?:de|del|della|delle|dei|di|da|do|dos|das|du|des|la|le|les|l'|d'|van|von|der|den|ten|ter|am|im|an|auf|"
    r"nad|pod|sur|sous|upon|on|y|e|of|the)"
)
# A capitalized word; a full stop only ends an abbreviation ("St.", "Avda."), never "Paris." before a sentence.
_CAP = r"(?:\p{Lu}[\p{L}\p{M}'’-]{0,3}\.|\p{Lu}[\p{L}\p{M}'’-]*(?![\p{L}\p{M}\d]))"
_WORD = r"(?:[\p{L}\p{M}][\p{L}\p{M}'’-]{0,3}\.|[\p{L}\p{M}][\p{L}\p{M}'’-]*)"
_NUM = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?(?:\s?(?:bis|ter))?"
_NAME = rf"{_CAP}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_CAP}){{0,3}}"
_SP = r"[ \t]+"

_UNIT = (
    r"(?:(?:Apt|APT|Apartment|Suite|SUITE|Ste|Unit|UNIT|Flat|Appartement|Appt|Bâtiment|Bât|Résidence)\.?"
    r"[ \t]*#?[ \t]*\d{1,5}[A-Za-z]?"
    r"|(?i:p\.?[ \t]?o\.?[ \t]?box|post[ \t]office[ \t]box|b\.?p\.?)[ \t]*\d{1,6}"
    r"|(?:PSC|CMR|Unit|UNIT|psc|unit)[ \t]+\d{3,5},?[ \t]+(?i:box)[ \t]+\d{1,5}"
    r"|(?i:box)[ \t]+\d{1,5}"
    r"|(?i:apo|fpo|dpo)[ \t]+(?i:aa|ae|ap)[ \t]+\d{5}"
    r"|(?:USNS|USNV|USS|USCGC)[ \t]+" + _CAP + ")"
)
_POSTCODE = (
    r"(?:\d{5}(?:-\d{3,4})?|\d{4}(?:[ \t]?[A-Z]{2})?|\d{3}[ \t]\d{2}|\d{2}-\d{3}"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d)(?![\w-])"
)

# Street lines that need nothing around them to be addresses.
_STREET_STRONG = re.compile(
    "|".join(
        (
            # "418 Larkspur Avenue", "24 Clarke Avenue", "35 Pentelis Str."
            rf"\b{_NUM}{_SP}{_NAME}{_SP}(?:{_EN_TYPES})\b\.?(?:{_SP}(?:North|South|East|West|NE|NW|SE|SW|N|S|E|W)\b)?",
            # "Via Roma 131", "14 rue des Tanneurs", "Avenida Otoniel Dutra 1277", "ul. Miła 53"
            rf"(?:\b{_NUM},?{_SP})?(?<![\p{{L}}])(?:{_PREFIX_TYPES}){_SP}(?:{_PARTICLE}{_SP})*{_CAP}"
            rf"(?:{_SP}(?:{_PARTICLE}{_SP})*{_CAP}){{0,3}}(?:{_SP}{_NUM}\b)?",
            # "12 place de la Gare", "36 rue de pologne": after a number, any-case names and ambiguous types.
            rf"\b{_NUM},?{_SP}(?:{_NUMBERED_PREFIX_TYPES}|(?i:rue|avenue|boulevard)){_SP}"
            rf"(?:{_WORD}{_SP}){{0,3}}{_WORD}",
            # "Pohlstrasse 9", "Kiannonkatu 98", "hersnapvej 18"
            rf"\b[\p{{L}}\p{{M}}-]{{2,}}(?:{_COMPOUND_SUFFIXES}){_SP}{_NUM}\b",
            # "Villacher Strasse 89", "Trenerys gate 232", "Erzsébet tér 19"
            rf"\b(?:{_CAP}{_SP}){{1,2}}(?:{_SEPARATE_TYPES}){_SP}{_NUM}\b",
            # "P.O. Box 242", "PSC 0725, Box 6031", "Apt. 461"
            rf"(?<![\p{{L}}]){_UNIT}\b",
        )
    )
)
# "Brisas 6802", "Jahu 80": a name and a number, an address only where its block or a cue says so.
_STREET_WEAK = re.compile(rf"\b(?:{_NUM}{_SP})?{_NAME}{_SP}{_NUM}\b")
# "the corner of X and Y": both streets, whatever they look like.
_CORNER = re.compile(
    rf"(?i:\b(?:the{_SP})?corner{_SP}of){_SP}[^\n,;:]{{3,60}}?{_SP}(?:and|&){_SP}(?:{_NUM}{_SP})?"
    rf"(?:(?:{_PREFIX_TYPES}){_SP})?(?:{_WORD}{_SP}){{0,2}}{_WORD}(?:{_SP}{_NUM}\b)?"
)
# "Katrina and Rúa do Paseo 46": the first street of an intersection, before a street line.
_INTERSECTION_BEFORE = re.compile(rf"\b{_CAP}(?:{_SP}{_CAP})?{_SP}(?:and|&){_SP}$")
# Words after which a street line without a street type is still an address.
_CUE = re.compile(
    r"(?i:\b(?:address(?:es)?|adresse|domicile|demeurant|located|situated|lives?|living|resides?|moved|"
    r"send|sent|ship|shipped|deliver(?:ed)?|mail(?:ed)?|taxi|drops?\s+you\s+off|return|meet\s+(?:me|you|us)|"
    r"stop)\b[^\n.!?]{0,25}?(?:\b(?:at|on|to|in|is|:)|:)[ \t]*)$"
)
_HOUSE_NUMBERS_BEFORE = re.compile(rf"(?:\b{_NUM}[ \t]+){{1,2}}$")
# What may follow a street line, after a comma or a line break (the separator is matched before).
# Atomic groups: a label such as "Mobile:" must not match as "Mobil".
# A region is a code ("CO", "VIC", "13") or, in mail-merged data, the placeholder of a missing value.
_REGION = r"(?:\p{Lu}{2,3}|\d{1,2}|nan|None|N/A|null)"
_BLOCK_ITEM = re.compile(
    rf"(?>{_UNIT}\b|{_POSTCODE}(?:{_SP}{_NAME}(?:{_SP}\d{{1,2}}(?!\d))?)?"
    rf"|{_NAME}(?:{_SP}\({_CAP}\))?(?:,?{_SP}(?:{_REGION}{_SP})?{_POSTCODE})?"
    rf"|{_REGION}(?:{_SP}{_POSTCODE})?(?=[ \t]*(?:\r?\n|,|$)))(?![ \t]*:)"
)
# What may follow a unit or a postcode on the same line: "Apt. 085 BODØ", "Suite 907 Soloi Cyprus".
# After a street line on the same line: a unit, or a five-digit postcode with its town ("21000 Dijon").
_UNIT_ITEM = re.compile(rf"(?>{_UNIT}\b|\d{{5}}{_SP}{_NAME}(?:{_SP}\d{{1,2}}(?!\d))?)(?![ \t]*:)")
_INLINE_ITEM = re.compile(rf"(?>{_UNIT}\b|{_POSTCODE}|{_NAME})(?![ \t]*:)")
# A comma or a line break, with the blanks, commas and e-mail quote marks around it.
_BLOCK_SEPARATOR = re.compile(r"[ \t]*(?:,|\r?\n)[\s>?,]*")
_TRAILING_PERIOD = re.compile(r"[\p{L}\p{M}]{4,}\.$")
_UNIT_END = re.compile(rf"{_UNIT}$")
_UNIT_START = re.compile(_UNIT)
_POSTCODE_END = re.compile(rf"\b{_POSTCODE}$")
_UNIT_OR_POSTCODE_END = re.compile(rf"(?:{_UNIT}|\b{_POSTCODE})$")
_SPACES = re.compile(r"[ \t]+")
_MAX_BLOCK_ITEMS = 6


@cache
def _sentence_words() -> frozenset[str]:
    """Words that start a sentence or a form label, never a town: "Please", "Mobile", "Thanks"."""
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    extra = {"please", "thanks", "thank", "regards", "best", "call", "tel", "phone", "mobile", "fax", "email"}
    return frozenset({*EN, *FR, *extra})


def _plausible_place(value: str) -> bool:
    words = value.split()
    if not words:
        return False
    first = words[0].strip(".,")
    # "ON", "IN", "OR" in capitals are state and province codes, not words.
    if first.isupper() and 2 <= len(first) <= 3:
        return True
    return first.lower() not in _sentence_words()


@dataclass(frozen=True)
class AddressSpan:
    start: int
    end: int
    unit: bool  # the block has a unit, box or military postal line ("Apt. 4", "PSC 0725, Box 6031")
    postcode: bool  # the block has a postcode line ("Spain 61709", "69001 Lyon")
    items: int  # lines or comma-separated parts after the street line


def _next_item(text: str, start: int, end: int) -> re.Match[str] | None:
    """The address part that follows ``text[start:end]``, if any."""
    separator = _BLOCK_SEPARATOR.match(text, end)
    if separator is None or separator.end() == end:
        # Same line: a unit or a postcode and town after a street line ("Via Franscini 71 Suite 838"),
        # and after a unit also a town ("Apt. 085 BODØ"); never a run of bare numbers ("Card 4111 1111").
        space = _SPACES.match(text, end)
        if space is None:
            return None
        if _UNIT_END.search(text, start, end):
            return _INLINE_ITEM.match(text, space.end())
        return _UNIT_ITEM.match(text, space.end())
    item = _BLOCK_ITEM.match(text, separator.end())
    # Past a blank line only a line with a postcode or a unit still belongs to the address.
    if item is not None and separator.group().count("\n") >= 2 and not _UNIT_OR_POSTCODE_END.search(item.group()):
        return None
    return item


def _extend_block(text: str, start: int, end: int) -> AddressSpan:
    """Grow a street line over the unit, postcode, town and country parts that follow it."""
    unit = bool(_UNIT_END.search(text[start:end]))
    postcode = False
    items = 0
    for _ in range(_MAX_BLOCK_ITEMS):
        item = _next_item(text, start, end)
        if item is None or not _plausible_place(item.group()):
            break
        unit = unit or bool(_UNIT_START.match(item.group()))
        postcode = postcode or bool(_POSTCODE_END.search(item.group()))
        end = item.end()
        items += 1
    return AddressSpan(start, end, unit, postcode, items)


def _extend_back(text: str, start: int) -> int:
    """Include the house number(s) written before the street line ("6185 Pfarrgasse 91") and the first
    street of an intersection ("Maarit and Hersnapvej 75")."""
    before = _HOUSE_NUMBERS_BEFORE.search(text, max(0, start - 20), start)
    start = before.start() if before else start
    crossing = _INTERSECTION_BEFORE.search(text, max(0, start - 50), start)
    return crossing.start() if crossing else start


def find_addresses(text: str) -> list[tuple[int, int]]:
    """Character spans of postal addresses in ``text``, street line and the block that follows it."""
    spans: list[tuple[int, int]] = []
    for match in _CORNER.finditer(text):
        spans.append((match.start(), _extend_block(text, match.start(), match.end()).end))
    for match in _STREET_STRONG.finditer(text):
        spans.append((_extend_back(text, match.start()), _extend_block(text, match.start(), match.end()).end))
    for match in _STREET_WEAK.finditer(text):
        block = _extend_block(text, match.start(), match.end())
        cued = _CUE.search(text, max(0, match.start() - 60), match.start()) is not None
        # Alone, "Windows 10" is no address: it needs a cue before it, or after it a unit line or a
        # town and a postcode ("Steinfelden 73\nSAVONLINNA, SV 77233").
        if cued or block.unit or (block.postcode and block.items >= 2):
            spans.append((_extend_back(text, match.start()), block.end))
    return _merge(spans, text)


def _merge(spans: Iterable[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    # A sentence's full stop is not part of the address ("... 418 Larkspur Avenue."); "St." keeps its own.
    trimmed = ((start, end - 1 if _TRAILING_PERIOD.search(text, start, end) else end) for start, end in spans)
    for start, end in sorted(trimmed):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class StreetAddressRecognizer(LocalRecognizer):
    """Postal addresses in English, French and the usual European formats, with their whole block."""

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entities=["STREET_ADDRESS"],
            name=f"StreetAddressRecognizer_{supported_language}",
            supported_language=supported_language,
        )

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        # Above spaCy's 0.85: a street line is better evidence than NER's guess that "Lovers Lane" is a person.
        return [RecognizerResult("STREET_ADDRESS", start, end, 0.9) for start, end in find_addresses(text)]


def street_address_recognizers() -> list[EntityRecognizer]:
    return [StreetAddressRecognizer("en"), StreetAddressRecognizer("fr")]


# --- Phone numbers ----------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+/.-])"
    r"(?P<number>(?:\+|00)?(?:\d{1,4}[ .-]?)?(?:\(0\)[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,6}){0,5})"
    r"(?P<extension>[ ]?(?:x|ext\.?|extension|poste)[ ]?\d{1,6})?"
    r"(?![\w]|[.,-]\d)"
)
# Layouts that are phone numbers whatever surrounds them.
_PHONE_STRONG = re.compile(
    r"^(?:\+\d.*|00\d{2}.*|.*\(0\).*|\(\d{2,4}\)[ .-]?\d{3}[ .-]?\d{3,4}|(?:1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}"
    r"|001-\d{3}-\d{3}-\d{4}|0[1-9](?:[ .]\d{2}){4})$"
)
_PHONE_CONTEXT = re.compile(
    r"(?i:\b(?:phone|telephone|téléphone|tel|tél|mobile|mob|cell|cellphone|fax|desk|office|home|work|call|"
    r"calling|called|contact|reach|dial|ring|text|sms|whatsapp|answering|messages?|"
    r"landline|portable|fixe|appeler|appelez|joindre|rappeler)\b)"
)
_NOT_PHONE_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:EUR|USD|GBP|CHF|version|v|art|article|n°)\.?)[ \t]*$", re.I)
_NOT_PHONE_AFTER = re.compile(r"^(?::\d|[ \t]*(?:%|EUR|USD|GBP|CHF|€|\$|km|kg|m²|ms|s\b|h\b|min))", re.I)
_IP_LIKE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_DATE_LIKE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")


def _phone_digits_ok(number: str) -> bool:
    digits = sum(ch.isdigit() for ch in number)
    return 7 <= digits <= 15


def _has_phone_context(text: str, start: int, end: int) -> bool:
    """A phone word shortly before the number (same or previous line) or right after it ("office")."""
    before = text[max(0, start - 40) : start]
    after = text[end : end + 12]
    return bool(_PHONE_CONTEXT.search(before) or _PHONE_CONTEXT.search(after))


def find_phone_numbers(text: str) -> list[tuple[int, int, float]]:
    """Phone numbers in national or international layout: (start, end, score)."""
    found: list[tuple[int, int, float]] = []
    for match in _PHONE.finditer(text):
        number = match.group("number").strip(" .-")
        start = match.start("number")
        end = match.end()
        if not _phone_digits_ok(number) or _DATE_LIKE.match(number) or _IP_LIKE.match(number):
            continue
        if _NOT_PHONE_BEFORE.search(text, max(0, start - 12), start) or _NOT_PHONE_AFTER.match(text[end:]):
            continue
        if _PHONE_STRONG.match(number) or match.group("extension"):
            found.append((start, end, 0.6))
        elif _has_phone_context(text, start, end):
            found.append((start, end, 0.55))
    return found


class PhoneNumberPatternRecognizer(LocalRecognizer):
    """Digit-group phone numbers that python-phonenumbers rejects: "699 956 915" after "call me on"."""

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entities=["PHONE_NUMBER"],
            name=f"PhoneNumberPatternRecognizer_{supported_language}",
            supported_language=supported_language,
        )

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        return [RecognizerResult("PHONE_NUMBER", s, e, score) for s, e, score in find_phone_numbers(text)]


# --- Payment cards ----------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){11,18}\d(?![\d]|-\d)")
# Issuer prefixes and lengths of the card networks (ISO/IEC 7812 ranges as published by the networks).
_CARD_NETWORKS: tuple[tuple[str, tuple[int, ...]], ...] = (
    (r"4", (13, 16, 19)),  # Visa
    (r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)", (16,)),  # Mastercard
    (r"3[47]", (15,)),  # American Express
    (r"6011|64[4-9]|65", (16, 17, 18, 19)),  # Discover
    (r"35(?:2[89]|[3-8]\d)", (16, 17, 18, 19)),  # JCB
    (r"2131|1800", (15,)),  # JCB (old)
    (r"30[0-5]|36|38|39", (14, 15, 16, 17, 18, 19)),  # Diners Club
    (r"50|5[6-9]|6\d", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro, UnionPay
    (r"220[0-4]", (16, 17, 18, 19)),  # Mir
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_card_number(value: str) -> bool:
    digits = "".join(ch for ch in value if ch.isdigit())
    if not luhn_ok(digits) or len(set(digits)) == 1:
        return False
    return any(re.match(prefix, digits) and len(digits) in lengths for prefix, lengths in _CARD_NETWORKS)


class PaymentCardRecognizer(LocalRecognizer):
    """Card numbers of every network, 12 to 19 digits, by issuer prefix, length and Luhn check."""

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entities=["CREDIT_CARD"],
            name=f"PaymentCardRecognizer_{supported_language}",
            supported_language=supported_language,
        )

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        return [
            RecognizerResult("CREDIT_CARD", m.start(), m.end(), 0.7)
            for m in _CARD.finditer(text)
            if is_card_number(m.group())
        ]


# --- French identifiers -----------------------------------------------------------------------


class LuhnPatternRecognizer(PatternRecognizer):
    """A pattern whose digits must pass the Luhn check (SIREN and SIRET numbers)."""

    def validate_result(self, pattern_text: str) -> bool | None:
        return luhn_ok("".join(ch for ch in pattern_text if ch.isdigit()))


class FrenchNirRecognizer(PatternRecognizer):
    """French social security number (NIR): 13 digits and a two-digit key, 97 - (number mod 97)."""

    def validate_result(self, pattern_text: str) -> bool | None:
        compact = "".join(ch for ch in pattern_text if ch.isalnum()).upper()
        if len(compact) != 15:
            return False
        # Corsican departments 2A and 2B are replaced by 19 and 18 for the key.
        body = compact[:13].replace("2A", "19").replace("2B", "18")
        if not body.isdigit() or not compact[13:].isdigit():
            return False
        return 97 - int(body) % 97 == int(compact[13:])


def french_identifier_recognizers() -> list[EntityRecognizer]:
    nir = FrenchNirRecognizer(
        supported_entity="FR_NIR",
        supported_language="fr",
        name="FrenchNirRecognizer",
        patterns=[
            Pattern(
                "NIR",
                r"\b[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[ABab])[ .]?\d{3}[ .]?\d{3}[ .]?\d{2}\b",
                0.6,
            )
        ],
        context=["sécurité sociale", "securite sociale", "nir", "insee", "numéro de sécu"],
    )
    siret = LuhnPatternRecognizer(
        supported_entity="FR_SIRET",
        supported_language="fr",
        name="FrenchSiretRecognizer",
        patterns=[Pattern("SIRET", r"\b\d{3}[ .]?\d{3}[ .]?\d{3}[ .]?\d{5}\b", 0.5)],
        context=["siret", "établissement", "etablissement"],
    )
    # Nine digits pass Luhn one time in ten by chance, so a SIREN needs its context word to score.
    siren = LuhnPatternRecognizer(
        supported_entity="FR_SIREN",
        supported_language="fr",
        name="FrenchSirenRecognizer",
        patterns=[Pattern("SIREN", r"\b\d{3}[ .]?\d{3}[ .]?\d{3}\b", 0.2)],
        context=["siren", "rcs", "immatriculée", "immatriculation"],
    )
    return [nir, siret, siren]


def generic_recognizers(language: str) -> list[EntityRecognizer]:
    """Language-independent recognizers of Presidio, instantiated for a language Presidio lacks them for."""
    return [
        EmailRecognizer(supported_language=language),
        CreditCardRecognizer(supported_language=language),
        IbanRecognizer(supported_language=language),
        IpRecognizer(supported_language=language),
        DigitFloorPhoneRecognizer(supported_language=language, supported_regions=PHONE_REGIONS),
    ]


def pattern_recognizers(language: str) -> list[EntityRecognizer]:
    """Our own language-independent recognizers, for every language."""
    return [PhoneNumberPatternRecognizer(language), PaymentCardRecognizer(language)]
