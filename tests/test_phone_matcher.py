"""The faster phone recognizer finds what Presidio's does, and the redactor's output does not change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from bench.corpus import generate_corpus
from bench.redaction_bench import presidio_phone_recognizer
from ingest.redaction.recognizers import phone as phone_matcher
from ingest.redaction.recognizers.phone import (
    MIN_PHONE_DIGITS,
    PHONE_REGIONS,
    DigitFloorPhoneRecognizer,
    PhoneCandidates,
)

TEXTS = [
    "Call me on +44 20 7946 0958 or 020 7946 0958 before 5pm on 14/03/2024.",
    "Invoice 2024-117: 12,500.00 EUR due in 30 days; ref. 4711.",
    "Fax (212) 555-0175 ext. 42, office 212.555.0199, mobile 06 12 34 56 78.",
    "Tél. : 01 42 68 53 00 — SIRET 732 829 320 00074, 3 rue de Rivoli 75001 Paris.",
    "Numbers 123 456 7890123 4567 and 1234567890123456789012345 and +1-800-555-0100 x12.",
    "Ring 0049 30 1234567 or 030/1234567, not 12:30 or 2024/05/06.",
]
# Pieces that phone numbers, dates, amounts and their neighbours are made of.
_PIECES = st.sampled_from(
    [*"0123456789", " ", "-", ".", "/", "(", ")", "+", ",", ":", "#", "\t", "\n", "x", "ext. ", "Tel ", "€", "%", "a"]
)


def _long_findings(text: str, results: list[Any]) -> list[tuple[int, int, float]]:
    return sorted(
        (r.start, r.end, r.score)
        for r in results
        if sum(ch.isdigit() for ch in text[r.start : r.end]) >= MIN_PHONE_DIGITS
    )


@pytest.fixture(scope="module", params=[PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS, PHONE_REGIONS])
def recognizers(request: pytest.FixtureRequest) -> tuple[PhoneRecognizer, DigitFloorPhoneRecognizer]:
    stock = PhoneRecognizer(supported_regions=request.param)
    return stock, DigitFloorPhoneRecognizer.replacing(stock)


def _assert_same(recognizers: tuple[PhoneRecognizer, DigitFloorPhoneRecognizer], text: str) -> None:
    stock, faster = recognizers
    found = faster.analyze(text, ["PHONE_NUMBER"])
    assert _long_findings(text, found) == _long_findings(text, stock.analyze(text, ["PHONE_NUMBER"]))
    # Nothing new either: a shorter number inside a long candidate is still found as before.
    assert {(r.start, r.end, r.score) for r in found} <= {
        (r.start, r.end, r.score) for r in stock.analyze(text, ["PHONE_NUMBER"])
    }


@pytest.mark.parametrize("text", TEXTS)
def test_same_numbers_as_presidio_on_examples(recognizers: Any, text: str) -> None:
    _assert_same(recognizers, text)


def test_examples_hold_phone_numbers(recognizers: Any) -> None:
    _, faster = recognizers
    assert sum(len(faster.analyze(text, ["PHONE_NUMBER"])) for text in TEXTS) >= 6


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=80).map("".join))
def test_same_numbers_as_presidio_on_generated_text(recognizers: Any, text: str) -> None:
    _assert_same(recognizers, text)


def test_same_numbers_on_generated_business_pages(recognizers: Any, tmp_path: Path) -> None:
    generate_corpus(tmp_path, 12, seed=5)
    pages = [path.read_text("utf-8") for path in sorted(tmp_path.rglob("*")) if path.suffix in (".txt", ".md")]
    assert pages
    for page in pages:
        _assert_same(recognizers, page)


def test_redactor_uses_it_and_keeps_its_output(redactor: Any, tmp_path: Path) -> None:
    """The whole redaction of a text is the same with Presidio's own phone recognizer in its place."""
    registry = redactor._analyzer.registry
    phone = [r for r in registry.recognizers if isinstance(r, PhoneRecognizer)]
    assert phone and all(type(r) is DigitFloorPhoneRecognizer for r in phone)
    generate_corpus(tmp_path, 6, seed=9)
    documents = [[text] for text in TEXTS] + [
        [path.read_text("utf-8")] for path in sorted(tmp_path.rglob("*")) if path.suffix in (".txt", ".md")
    ]
    faster = redactor.redact_documents(documents)
    with presidio_phone_recognizer(redactor):
        swapped = [r for r in registry.recognizers if isinstance(r, PhoneRecognizer)]
        assert len(swapped) == len(phone) and all(type(r) is PhoneRecognizer for r in swapped)
        stock = redactor.redact_documents(documents)
    assert [[page.text for page in doc] for doc in faster] == [[page.text for page in doc] for doc in stock]
    assert any("<PHONE_NUMBER_" in page.text for doc in faster for page in doc)


def test_regions_share_one_scan_of_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pattern runs over a text once whatever the number of regions: each region's matcher takes the
    candidates the first one found (years, amounts and clause numbers are candidates too)."""
    text = "Invoice of 12,500.00 EUR due in 30 days (ref. 4711), clause 14.2 of the 2023 agreement. " * 4

    def scans(regions: tuple[str, ...]) -> int:
        made: list[PhoneCandidates] = []

        class Counted(PhoneCandidates):
            def __init__(self, text: str) -> None:
                super().__init__(text)
                made.append(self)

        monkeypatch.setattr(phone_matcher, "PhoneCandidates", Counted)
        assert DigitFloorPhoneRecognizer(supported_regions=regions).analyze(text, ["PHONE_NUMBER"]) == []
        return sum(candidates.scans for candidates in made)

    assert scans(("US",)) > 5
    assert scans(PHONE_REGIONS) == scans(("US",))


@pytest.mark.parametrize("max_tries", [1, 2, 3, 5, 65535])
def test_the_shared_scan_walks_the_candidates_as_the_librarys_own_loop(max_tries: int) -> None:
    """The matcher's loop over the shared candidates is python-phonenumbers' own ``_find``: the same matches for
    every region, also when the budget of failed candidates runs out part-way."""

    class LibraryLoop(phone_matcher._DigitFloorMatcher):
        _find = phonenumbers.PhoneNumberMatcher._find  # the library's loop, scanning the text itself

    text = " ".join(TEXTS) + " Invoice 2024-117, ref. 4711, +33 1 42 68 53 00, 555-0175, (020) 7946 0958."
    candidates = PhoneCandidates(text)
    for region in PHONE_REGIONS:
        shared = phone_matcher._DigitFloorMatcher(candidates, region, leniency=phonenumbers.Leniency.VALID)
        library = LibraryLoop(PhoneCandidates(text), region, leniency=phonenumbers.Leniency.VALID)
        shared._max_tries = library._max_tries = max_tries
        assert [(m.start, m.raw_string) for m in shared] == [(m.start, m.raw_string) for m in library]
