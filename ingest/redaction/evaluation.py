"""Measure the redactor on a labelled PII data set: what it leaks and what it removes for nothing.

Data set: a JSON list of records ``{"full_text": str, "spans": [{"entity_type", "start_position",
"end_position"}, ...]}`` (end exclusive), the format of presidio-research's synthetic sets.

Definitions, all at the level of *tokens* and positions in the input text:

- A token is a maximal run of word characters (``\\w+``: letters of any script, digits, underscore);
  whitespace and punctuation separate tokens and are never counted. "+1 (555) 014-2231" has the
  tokens 1, 555, 014 and 2231; "jane.doe@example.com" has jane, doe, example and com.
- A token belongs to a labelled span when it lies inside it (tokens are cut at span edges too, so a
  label boundary inside a word yields two tokens).
- A labelled token is **leaked** when some of its characters are not covered by the union of the
  entity spans the redactor reported (``Redaction.entities``, offsets in the input). Coverage by a
  span of another type still counts as redacted: the value is gone from the output either way.
  A half-covered token is leaked: part of the value is still readable.
- An unlabelled token (outside every labelled span) is **over-redacted** when any of its characters
  is covered by a reported span: the word no longer reads as it did.
- Tokens in spans of a type Enclave does not redact by design (``NOT_REDACTED``) count neither as
  leaks nor as over-redaction: redacting them is neither required nor a mistake. Every other type,
  one this module does not name included, must be redacted.
- Places (spans labelled ``GPE``, ``LOC`` or ``LOCATION``) follow the redactor's location policy
  (``ENCLAVE_REDACT_LOCATIONS``, ingest/redaction/places.py), applied to the *labels*, never to what the
  redactor found: under ``off`` they are kept by design as above; under ``all`` every place must be
  redacted; under ``with-person`` a place must be redacted when its sentence (the project's sentence
  splitter, on the record's text) holds a labelled PERSON, or when it lies in an address block (it overlaps
  a labelled STREET_ADDRESS, or follows one, or such a place, with no letter between), and any other place
  counts neither way. A required place that is not redacted is a LOCATION leak, so a place beside a person
  the redactor missed counts against it too.

Leak rate per type = leaked tokens / labelled tokens of that type; over-redaction = over-redacted
unlabelled tokens / unlabelled tokens.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ingest.redaction.places import PLACE_ENTITY, places_to_redact
from rag.types import EntitySpan, LocationPolicy, Redaction

_TOKEN = re.compile(r"\w+")

# Data set type -> the Enclave entity type that redacts it. Where names agree the map is the identity;
# it exists so that a data set with other names (e.g. "ADDRESS", "SSN") can be mapped in one place.
REDACTED_TYPES: dict[str, str] = {
    "PERSON": "PERSON",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "ADDRESS": "STREET_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "FR_NIR": "FR_NIR",
    "FR_SIRET": "FR_SIRET",
    "FR_SIREN": "FR_SIREN",
}

# Types Enclave leaves in the text on purpose, with the reason. Documents are retrieved by what they say:
# dates, places, organizations and jobs are the facts users ask about and identify no one on their own.
NOT_REDACTED: dict[str, str] = {
    "DATE_TIME": "dates carry the facts of policies, contracts and tickets (deadlines, terms)",
    "GPE": "cities and countries are needed to retrieve site- and country-specific content",
    "LOCATION": "places are needed to retrieve site-specific content",
    "ORGANIZATION": "company names (vendors, customers, teams) are the subject of many documents",
    "TITLE": "job titles and courtesy titles describe roles, not people; names after them are redacted",
    "NRP": "nationality, religion or politics words are common words in prose ('Spanish food')",
    "AGE": "ages are numbers like any other; matching them would remove figures and durations",
    "ZIP_CODE": "a postcode alone names an area, not a person, and looks like any 4-5 digit figure; "
    "postcodes inside a postal address are redacted with the address",
    "DOMAIN_NAME": "web sites of businesses are public; e-mail addresses are redacted",
    "URL": "links to public sites are public",
    "LOC": "places are needed to retrieve site-specific content",
}

# Labels of place names, whose redaction the location policy decides.
PLACE_LABELS = frozenset({"GPE", "LOC", "LOCATION"})
_KEPT_PLACE = "a place with no labelled person in its sentence and outside every address block: with-person keeps it"


class TextRedactor(Protocol):
    def redact(self, text: str, language: str | None = None) -> Redaction: ...


@dataclass(frozen=True)
class LabelledSpan:
    type: str
    start: int
    end: int


@dataclass(frozen=True)
class Record:
    text: str
    spans: tuple[LabelledSpan, ...]


@dataclass
class TypeScore:
    """Token counts of one labelled type."""

    tokens: int = 0
    leaked: int = 0

    @property
    def leak_rate(self) -> float:
        return self.leaked / self.tokens if self.tokens else 0.0


@dataclass
class RecordScore:
    """Token counts of one record: per redacted type, and over the unlabelled text."""

    by_type: dict[str, TypeScore] = field(default_factory=dict)
    unlabelled: int = 0
    over_redacted: int = 0


@dataclass
class RedactionReport:
    records: int
    by_type: dict[str, TypeScore]
    ignored_tokens: dict[str, int]
    unlabelled_tokens: int
    over_redacted_tokens: int
    seconds: float
    languages: dict[str, int]
    leaked_examples: dict[str, list[str]] = field(default_factory=dict)
    over_redacted_examples: list[str] = field(default_factory=list)
    location_policy: LocationPolicy = LocationPolicy.OFF

    @property
    def over_redaction_rate(self) -> float:
        return self.over_redacted_tokens / self.unlabelled_tokens if self.unlabelled_tokens else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "seconds": round(self.seconds, 2),
            "records_per_second": round(self.records / self.seconds, 2) if self.seconds else None,
            "languages": self.languages,
            "location_policy": self.location_policy.value,
            "entities": {
                name: {"tokens": s.tokens, "leaked": s.leaked, "leak_rate": round(s.leak_rate, 4)}
                for name, s in sorted(self.by_type.items())
            },
            "not_redacted_by_design": {
                name: {"tokens": count, "reason": self._reason_kept(name)}
                for name, count in sorted(self.ignored_tokens.items())
            },
            "over_redaction": {
                "unlabelled_tokens": self.unlabelled_tokens,
                "over_redacted": self.over_redacted_tokens,
                "rate": round(self.over_redaction_rate, 4),
            },
        }

    def _reason_kept(self, label: str) -> str:
        if label in PLACE_LABELS and self.location_policy is LocationPolicy.WITH_PERSON:
            return _KEPT_PLACE
        return NOT_REDACTED.get(label, "unknown type")


def load_records(path: Path) -> list[Record]:
    """Records of a presidio-research style JSON data set."""
    raw = json.loads(path.read_text("utf-8"))
    return [
        Record(
            text=item["full_text"],
            spans=tuple(
                LabelledSpan(span["entity_type"], int(span["start_position"]), int(span["end_position"]))
                for span in item.get("spans") or ()
            ),
        )
        for item in raw
    ]


def tokens(text: str, cuts: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Character spans of the tokens of ``text``, also cut at the offsets in ``cuts``."""
    edges = sorted(set(cuts))
    result: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        for edge in edges:
            if start < edge < end:
                result.append((start, edge))
                start = edge
        result.append((start, end))
    return result


def _covered_chars(text_length: int, entities: Sequence[EntitySpan]) -> bytearray:
    covered = bytearray(text_length)
    for entity in entities:
        covered[max(entity.start, 0) : min(entity.end, text_length)] = b"\x01" * (
            min(entity.end, text_length) - max(entity.start, 0)
        )
    return covered


def _span_at(start: int, spans: Sequence[LabelledSpan]) -> LabelledSpan | None:
    for span in spans:
        if span.start <= start < span.end:
            return span
    return None


def required_places(record: Record, policy: LocationPolicy) -> set[LabelledSpan]:
    """The labelled places that ``policy`` requires redacted, by the labelled people and addresses around them."""
    places = [span for span in record.spans if span.type in PLACE_LABELS]
    if not places:
        return set()
    people = [(s.start, s.end) for s in record.spans if REDACTED_TYPES.get(s.type) == "PERSON"]
    addresses = [(s.start, s.end) for s in record.spans if REDACTED_TYPES.get(s.type) == "STREET_ADDRESS"]
    chosen = set(places_to_redact(policy, record.text, [(p.start, p.end) for p in places], people, addresses))
    return {place for place in places if (place.start, place.end) in chosen}


def _scored_type(span: LabelledSpan, required: set[LabelledSpan]) -> str | None:
    """The type a labelled span is scored under, None when it counts neither way."""
    if span in required:
        return PLACE_ENTITY
    if span.type in NOT_REDACTED or span.type in PLACE_LABELS:
        return None
    # A type this module does not know is held to redaction, under its own name: a data set's new label
    # must show up as leaks, not vanish from the report.
    return REDACTED_TYPES.get(span.type, span.type)


def score_record(
    record: Record, entities: Sequence[EntitySpan], places: LocationPolicy = LocationPolicy.OFF
) -> tuple[RecordScore, dict[str, int]]:
    """Token counts of one record given the spans the redactor reported under the location policy ``places``;
    also the ignored tokens by type."""
    covered = _covered_chars(len(record.text), entities)
    cuts = [edge for span in record.spans for edge in (span.start, span.end)]
    required = required_places(record, places)
    score = RecordScore()
    ignored: dict[str, int] = {}
    for start, end in tokens(record.text, cuts):
        span = _span_at(start, record.spans)
        if span is None:
            score.unlabelled += 1
            score.over_redacted += any(covered[start:end])
            continue
        ours = _scored_type(span, required)
        if ours is not None:
            type_score = score.by_type.setdefault(ours, TypeScore())
            type_score.tokens += 1
            type_score.leaked += not all(covered[start:end])
        else:
            ignored[span.type] = ignored.get(span.type, 0) + 1
    return score, ignored


def _leaked_values(record: Record, entities: Sequence[EntitySpan], places: LocationPolicy) -> dict[str, str]:
    """For examples: per type, the labelled values with a leaked token, shown with >>token<< marks."""
    covered = _covered_chars(len(record.text), entities)
    required = required_places(record, places)
    shown: dict[str, str] = {}
    for span in record.spans:
        ours = PLACE_ENTITY if span in required else REDACTED_TYPES.get(span.type)
        if ours is None:
            continue
        value = record.text[span.start : span.end]
        leaks = [(s, e) for s, e in tokens(value) if not all(covered[span.start + s : span.start + e])]
        if leaks:
            marked = value
            for s, e in reversed(leaks):
                marked = marked[:s] + ">>" + marked[s:e] + "<<" + marked[e:]
            shown.setdefault(ours, marked)
    return shown


def evaluate(
    redactor: TextRedactor,
    records: Sequence[Record],
    language: str | None = None,
    on_record: Callable[[], None] | None = None,
    examples: int = 0,
    places: LocationPolicy | None = None,
) -> RedactionReport:
    """Run ``redactor`` over every record and add up the token counts; keep up to ``examples`` misses per type.

    ``places`` is the location policy that says which labelled places count; by default the redactor's own
    (its ``location_policy``), ``off`` for a redactor that has none.
    """
    policy = places if places is not None else getattr(redactor, "location_policy", LocationPolicy.OFF)
    by_type: dict[str, TypeScore] = {}
    ignored: dict[str, int] = {}
    languages: dict[str, int] = {}
    unlabelled = over = 0
    leaked_examples: dict[str, list[str]] = {}
    over_examples: list[str] = []
    began = time.perf_counter()
    for record in records:
        redaction = redactor.redact(record.text, language)
        languages[redaction.language] = languages.get(redaction.language, 0) + 1
        score, record_ignored = score_record(record, redaction.entities, policy)
        for name, type_score in score.by_type.items():
            total = by_type.setdefault(name, TypeScore())
            total.tokens += type_score.tokens
            total.leaked += type_score.leaked
        for name, count in record_ignored.items():
            ignored[name] = ignored.get(name, 0) + count
        unlabelled += score.unlabelled
        over += score.over_redacted
        if examples:
            for name, shown in _leaked_values(record, redaction.entities, policy).items():
                if len(leaked_examples.setdefault(name, [])) < examples:
                    leaked_examples[name].append(shown)
            if score.over_redacted and len(over_examples) < examples:
                over_examples.append(redaction.text)
        if on_record is not None:
            on_record()
    return RedactionReport(
        records=len(records),
        by_type=by_type,
        ignored_tokens=ignored,
        unlabelled_tokens=unlabelled,
        over_redacted_tokens=over,
        seconds=time.perf_counter() - began,
        languages=languages,
        leaked_examples=leaked_examples,
        over_redacted_examples=over_examples,
        location_policy=policy,
    )
