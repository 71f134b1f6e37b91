"""Presidio redaction into typed placeholders that stay consistent within a document.

The redactor receives a built analyzer (ingest/redaction/engine.py wires spaCy and the recognizers); it runs
it over a document's pages, applies the document-level name passes, keeps the place names its location
policy redacts (ingest/redaction/places.py), resolves overlapping findings and numbers the values it replaces.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from functools import partial
from typing import Any, cast

from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from ingest.redaction.document_passes import (
    coordinated_names,
    drop_common_word_names,
    email_name_tokens,
    lowercase_words,
    person_key,
    propagate_names,
    signature_names,
    widen_names,
)
from ingest.redaction.language import detect_language, languages_per_document
from ingest.redaction.places import PLACE_ENTITY, named_place, place_findings
from ingest.redaction.recognizers.phone import MIN_PHONE_DIGITS
from rag.errors import ConfigurationError
from rag.types import EntitySpan, LocationPolicy, Redaction

logger = logging.getLogger(__name__)

_WHITESPACE = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"\D")
# Entities whose value is a number written in many ways: "+1 555 0100" and "(555) 0100" differ only in form.
_NUMERIC_ENTITIES = {"PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "FR_NIR", "FR_SIRET", "FR_SIREN"}
# Pages per spaCy batch: large enough for batched matrix products, small enough to keep memory flat.
_NLP_BATCH = 32


class PlaceholderBook:
    """Numbers the values of each entity type in order of appearance: ``<PERSON_1>``, ``<PERSON_2>``...

    A person's surname or first name alone gets the placeholder of the full name it belongs to.
    """

    def __init__(self) -> None:
        self._numbers: dict[str, dict[str, int]] = defaultdict(dict)
        self._person_aliases: dict[str, str] = {}

    def learn_person(self, value: str) -> None:
        key = person_key(value)
        for token in key.split():
            self._person_aliases.setdefault(token, key)

    def placeholder(self, entity_type: str, value: str) -> str:
        numbers = self._numbers[entity_type]
        key = self._normalize(entity_type, value)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
        return f"<{entity_type}_{numbers[key]}>"

    def _normalize(self, entity_type: str, value: str) -> str:
        if entity_type == "PERSON":
            # A value sharing a name word with a person already seen is that person.
            key = person_key(value)
            for token in key.split():
                if token in self._person_aliases:
                    return self._person_aliases[token]
            return key
        if entity_type in _NUMERIC_ENTITIES:
            digits = _NON_DIGIT.sub("", value)
            if digits:
                return digits
        return _WHITESPACE.sub(" ", value).strip().casefold()


def _resolve_overlaps(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Merge overlapping findings into one: the best (highest score, then longest) names the type, and
    the span covers them all, so that no piece of a value two recognizers cut differently is left."""
    merged: list[RecognizerResult] = []
    for cluster in _overlap_clusters(results):
        best = min(cluster, key=lambda r: (-r.score, -(r.end - r.start), r.start))
        start = min(r.start for r in cluster)
        end = max(r.end for r in cluster)
        merged.append(
            RecognizerResult(best.entity_type, start, end, best.score, recognition_metadata=best.recognition_metadata)
        )
    return merged


def _overlap_clusters(results: list[RecognizerResult]) -> list[list[RecognizerResult]]:
    clusters: list[list[RecognizerResult]] = []
    end = -1
    for result in sorted(results, key=lambda r: (r.start, r.end)):
        if clusters and result.start < end:
            clusters[-1].append(result)
            end = max(end, result.end)
        else:
            clusters.append([result])
            end = result.end
    return clusters


class PresidioRedactor:
    """The one redactor of Enclave: ingestion, questions, tickets and the output guard all use it."""

    def __init__(
        self,
        analyzer: AnalyzerEngine,
        entities: Sequence[str],
        score_threshold: float = 0.35,
        allow_list: Sequence[str] = (),
        locations: LocationPolicy = LocationPolicy.WITH_PERSON,
    ) -> None:
        """``analyzer`` comes built, with its spaCy pipelines and recognizers (ingest/redaction/engine.py).

        ``locations`` says which place names go; LOCATION among ``entities`` means every one.
        """
        self.languages = tuple(analyzer.supported_languages)
        self._nlp_engine = analyzer.nlp_engine
        self._analyzer = analyzer
        self._anonymizer = AnonymizerEngine()
        self._threshold = score_threshold
        self._allow_list = list(allow_list)
        self._allow_pattern = (
            re.compile("|".join(re.escape(v) for v in sorted(allow_list, key=len, reverse=True) if v), re.IGNORECASE)
            if any(allow_list)
            else None
        )
        wanted = set(entities)
        self.location_policy = LocationPolicy.ALL if PLACE_ENTITY in wanted else locations
        if self.location_policy is not LocationPolicy.OFF:
            wanted.add(PLACE_ENTITY)
        self._entities = {
            language: sorted(wanted & set(self._analyzer.get_supported_entities(language)))
            for language in self.languages
        }

    def language_of(self, text: str) -> str:
        return detect_language(text, self.languages)

    def redact(self, text: str, language: str | None = None) -> Redaction:
        return self.redact_pages([text], language)[0]

    def redact_pages(self, pages: Sequence[str], language: str | None = None) -> list[Redaction]:
        return self.redact_documents([pages], [language])[0]

    def redact_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> list[list[Redaction]]:
        """Redact several documents (each a list of pages) at once; the same output as one by one.

        spaCy, which costs most of the time, runs over every page of every document in batches
        (``nlp.pipe``), several times faster than a call per page; the rest stays per document.
        """
        wanted = languages_per_document(documents, languages)
        resolved = [
            language or self.language_of("\n".join(pages)) for pages, language in zip(documents, wanted, strict=True)
        ]
        for language in resolved:
            if language not in self.languages:
                raise ConfigurationError(f"no spaCy pipeline configured for language {language!r}")
        artifacts: dict[tuple[int, int], NlpArtifacts] = {}
        for language in set(resolved):
            keys = [
                (d, p)
                for d, pages in enumerate(documents)
                if resolved[d] == language
                for p, page in enumerate(pages)
                if page.strip()
            ]
            texts = [documents[d][p] for d, p in keys]
            processed = self._nlp_engine.process_batch(texts, language, batch_size=_NLP_BATCH)
            for key, item in zip(keys, processed, strict=True):
                artifacts[key] = item[1]  # (text, artifacts)
        return [
            self._redact_analyzed(
                pages,
                language,
                [self._analyze(page, language, artifacts.get((d, p))) for p, page in enumerate(pages)],
            )
            for d, (pages, language) in enumerate(zip(documents, resolved, strict=True))
        ]

    def _redact_analyzed(
        self, pages: Sequence[str], language: str, findings: list[list[RecognizerResult]]
    ) -> list[Redaction]:
        person = "PERSON" in self._entities[language]
        # Places wait until the people and addresses they go with are known, and take no part in their passes.
        places = [[r for r in found if r.entity_type == PLACE_ENTITY] for found in findings]
        findings = [[r for r in found if r.entity_type != PLACE_ENTITY] for found in findings]
        common = lowercase_words(pages) if person else set()
        if person:
            findings = [widen_names(page, found, common) for page, found in zip(pages, findings, strict=True)]
        # Resolved before names are learnt: NER's "Lovers Lane" inside an address is no person to spread.
        findings = [_resolve_overlaps(found) for found in findings]
        if person:
            for page, found in zip(pages, findings, strict=True):
                found.extend(coordinated_names(page, found, common) + signature_names(page, found, common))
            findings = drop_common_word_names(pages, findings, common)
            emails = email_name_tokens("\n".join(pages))
            for page_findings, more in zip(findings, propagate_names(pages, findings, emails, common), strict=True):
                page_findings.extend(more)
        kept = [
            _resolve_overlaps([_widen_phone(page, r) for r in page_findings])
            for page, page_findings in zip(pages, findings, strict=True)
        ]
        if self._allow_list:
            # Names spread through the document or widened after analysis must honour the allow-list too,
            # and so must a part of an allowed value ("Lindqvist" in an allowed "Harriet Lindqvist").
            kept = [
                [r for r in page_kept if not _within_allowed(page, r, self._allow_pattern)]
                for page, page_kept in zip(pages, kept, strict=True)
            ]
        if any(places):
            kept = [
                self._with_places(page, page_kept, page_places)
                for page, page_kept, page_places in zip(pages, kept, places, strict=True)
            ]
        book = PlaceholderBook()
        for page, page_kept in zip(pages, kept, strict=True):
            for result in page_kept:
                if result.entity_type == "PERSON":
                    book.learn_person(page[result.start : result.end])
        # Number values in reading order; the anonymizer itself works from the end of the text.
        for page, page_kept in zip(pages, kept, strict=True):
            for result in page_kept:
                book.placeholder(result.entity_type, page[result.start : result.end])
        return [self._anonymize(page, page_kept, language, book) for page, page_kept in zip(pages, kept, strict=True)]

    def _with_places(
        self, page: str, kept: list[RecognizerResult], places: list[RecognizerResult]
    ) -> list[RecognizerResult]:
        chosen = place_findings(self.location_policy, page, places, kept)
        chosen = [r for r in chosen if not _within_allowed(page, r, self._allow_pattern)]
        return _resolve_overlaps(kept + chosen) if chosen else kept

    def _analyze(self, text: str, language: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        if not text.strip():
            return []
        results = self._analyzer.analyze(
            text=text,
            language=language,
            entities=self._entities[language],
            score_threshold=self._threshold,
            allow_list=self._allow_list or None,
            nlp_artifacts=nlp_artifacts,
        )
        return [
            result
            for result in results
            if _plausible(text, result) and (result.entity_type != PLACE_ENTITY or named_place(result, nlp_artifacts))
        ]

    def _anonymize(self, text: str, kept: list[RecognizerResult], language: str, book: PlaceholderBook) -> Redaction:
        if not kept:
            return Redaction(text=text, entities=[], language=language)
        operators = {
            entity_type: OperatorConfig("custom", {"lambda": partial(book.placeholder, entity_type)})
            for entity_type in {result.entity_type for result in kept}
        }
        # Presidio's two packages declare twin result classes; the anonymizer reads only their fields.
        anonymized = self._anonymizer.anonymize(text=text, analyzer_results=cast(Any, kept), operators=operators)
        spans = [EntitySpan(type=r.entity_type, start=r.start, end=r.end, score=float(r.score)) for r in kept]
        return Redaction(text=anonymized.text, entities=spans, language=language)


def _plausible(text: str, result: RecognizerResult) -> bool:
    """Drop what cannot be the entity: a phone number of fewer than 7 digits ("2024", "75019"), or an
    unbroken run of fewer than 9 digits, which is a reference far more often ("number 09876543")."""
    if result.entity_type == "PHONE_NUMBER":
        value = text[result.start : result.end]
        digits = sum(ch.isdigit() for ch in value)
        return digits >= 9 or (digits >= MIN_PHONE_DIGITS and not value.isdigit())
    return True


_PHONE_PREFIX = re.compile(r"\+\d{1,3}[ .-]?$")


def _widen_phone(text: str, result: RecognizerResult) -> RecognizerResult:
    """Include the international prefix the phone recognizer leaves out of "+1 (555) 014-2231"."""
    if result.entity_type != "PHONE_NUMBER":
        return result
    prefix = _PHONE_PREFIX.search(text, 0, result.start)
    if prefix is None:
        return result
    return RecognizerResult("PHONE_NUMBER", prefix.start(), result.end, result.score)


def _within_allowed(text: str, result: RecognizerResult, allowed: re.Pattern[str] | None) -> bool:
    """Whether a finding lies inside an occurrence of an allow-listed value."""
    if allowed is None:
        return False
    return any(m.start() <= result.start and result.end <= m.end() for m in allowed.finditer(text))
