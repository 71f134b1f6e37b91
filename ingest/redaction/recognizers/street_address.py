"""Postal addresses, found from how they are written, never from a list of known values.

A postal address is a street line (a number and a street type, in the usual European and North American
orders) and the unit, postcode, town and country lines that follow it. A street line without a street
type counts only after a cue ("lives at") or with a unit or postcode line after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import regex as re
from presidio_analyzer import LocalRecognizer, RecognizerResult

from rag.stop_words import all_stop_words

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
    extra = {"please", "thanks", "thank", "regards", "best", "call", "tel", "phone", "mobile", "fax", "email"}
    return all_stop_words() | extra


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
