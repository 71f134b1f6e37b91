"""Which place names to redact, by policy (``ENCLAVE_REDACT_LOCATIONS``).

A city or a country identifies no one on its own, and documents are retrieved by the places they are about;
next to a name it narrows the person down (in a small town's HR file, "Martin Dupuis of Quimperlé" is one
man), and in a postal address it is part of where someone lives. So the default, ``with-person``, redacts
a place in the same sentence as a redacted person, or in an address block: overlapping a street address,
or after it with only spaces, punctuation and digits between (the city and country under a street line,
"75002 Paris, France"), place after place. Only after: an address block reads street, city, country, and
a word before the street is its label more often than its town ("Adresse : 12 rue ...", which the small
French model calls a place). ``off`` keeps every place, ``all`` redacts every one.

The places are what spaCy's NER already finds (GPE and LOC in English, LOC in French; Presidio reports both
as LOCATION) where the tagger sees a proper noun: the small models also call capitalized common words places
("Livraison", "Catégorie", "EUR", "PO"). Sentences are the project's splitter's (rag/sentences.py), which
needs no parser. The rule works on character spans, so the evaluation (ingest/redaction/evaluation.py)
applies the very same one to labelled spans to know which places a policy requires.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from presidio_analyzer import RecognizerResult

from rag.sentences import SentenceSplitter
from rag.types import LocationPolicy

Span = tuple[int, int]
PLACE_ENTITY = "LOCATION"

# Between a place and the address block it belongs to: no letter, and no more than a postcode and a few
# line breaks or commas ("\n   ", ", 75002 ", " - ").
_IN_BLOCK_GAP = re.compile(r"[\W\d_]{0,20}")


def _no_place(text: str, places: Sequence[Span], people: Sequence[Span], addresses: Sequence[Span]) -> list[Span]:
    return []


def _every_place(text: str, places: Sequence[Span], people: Sequence[Span], addresses: Sequence[Span]) -> list[Span]:
    return list(places)


def _places_with_person(
    text: str, places: Sequence[Span], people: Sequence[Span], addresses: Sequence[Span]
) -> list[Span]:
    """The places in an address block, and those in a sentence that holds a person."""
    chosen = set(_in_address_blocks(text, places, addresses))
    rest = [place for place in places if place not in chosen]
    if rest and people:
        for start, end in _sentence_splitter().spans(text):
            if any(p_start < end and start < p_end for p_start, p_end in people):
                chosen.update(place for place in rest if start <= place[0] < end)
    return [place for place in places if place in chosen]


def _in_address_blocks(text: str, places: Sequence[Span], addresses: Sequence[Span]) -> list[Span]:
    """Places overlapping an address or right after one, and places right after those ("Riisa\\n\\n Estonia")."""
    anchors = list(addresses)
    found: list[Span] = []
    waiting = sorted(places)
    grew = True
    while grew and waiting and anchors:
        grew = False
        for place in list(waiting):
            if any(_beside(text, place, anchor) for anchor in anchors):
                found.append(place)
                anchors.append(place)
                waiting.remove(place)
                grew = True
    return found


def _beside(text: str, place: Span, anchor: Span) -> bool:
    """Whether ``place`` overlaps ``anchor`` or follows it with no letter between."""
    if place[0] < anchor[1] and anchor[0] < place[1]:
        return True
    return anchor[1] <= place[0] and _IN_BLOCK_GAP.fullmatch(text, anchor[1], place[0]) is not None


@cache
def _sentence_splitter() -> SentenceSplitter:
    return SentenceSplitter()


PlaceRule = Callable[[str, Sequence[Span], Sequence[Span], Sequence[Span]], list[Span]]

RULES: dict[LocationPolicy, PlaceRule] = {
    LocationPolicy.OFF: _no_place,
    LocationPolicy.WITH_PERSON: _places_with_person,
    LocationPolicy.ALL: _every_place,
}


def places_to_redact(
    policy: LocationPolicy,
    text: str,
    places: Sequence[Span],
    people: Sequence[Span],
    addresses: Sequence[Span],
) -> list[Span]:
    """The spans of ``places`` that ``policy`` redacts, given the people's and addresses' spans in ``text``."""
    return RULES[policy](text, places, people, addresses)


def named_place(result: RecognizerResult, nlp_artifacts: Any) -> bool:
    """Whether a LOCATION finding holds a word the tagger calls a proper noun: the small models call capitalized
    common words places ("Livraison", "Catégorie", "EUR", "PO"), and their taggers see nouns there."""
    doc = getattr(nlp_artifacts, "tokens", None)
    if doc is None:
        return True
    return any(token.pos_ == "PROPN" for token in doc if result.start <= token.idx < result.end)


def place_findings(
    policy: LocationPolicy, text: str, places: Sequence[RecognizerResult], kept: Sequence[RecognizerResult]
) -> list[RecognizerResult]:
    """The LOCATION findings of a page to redact beside the ``kept`` findings of other types.

    A place inside another finding adds nothing (an address that holds its city); the others go by the
    policy, with the kept PERSON and STREET_ADDRESS findings as the people and addresses.
    """
    covered = [(r.start, r.end) for r in kept]
    candidates = [p for p in places if not any(s <= p.start and p.end <= e for s, e in covered)]
    if not candidates:
        return []
    people = [(r.start, r.end) for r in kept if r.entity_type == "PERSON"]
    addresses = [(r.start, r.end) for r in kept if r.entity_type == "STREET_ADDRESS"]
    by_span = {(p.start, p.end): p for p in candidates}
    return [by_span[span] for span in places_to_redact(policy, text, list(by_span), people, addresses)]
