"""Phone numbers are found by Presidio's stock recognizer over our regions, and short digit runs are not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from ingest.redaction.recognizers import generic_recognizers
from ingest.redaction.recognizers.phone import (
    MIN_PHONE_DIGITS,
    PHONE_REGIONS,
    WindowedPhoneRecognizer,
    phone_windows,
    windowed,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Call me on +44 20 7946 0958 before 5pm.", "+44 20 7946 0958"),
        ("Fax (212) 555-0175 for the forms.", "(212) 555-0175"),
        ("Tél. : 01 42 68 53 00, du lundi au vendredi.", "01 42 68 53 00"),
        ("Ring 030/1234567 after lunch.", "030/1234567"),
        ("Her mobile is 06 12 34 56 78.", "06 12 34 56 78"),
    ],
)
def test_phone_numbers_in_national_and_international_layouts_are_redacted(
    redactor: Any, text: str, number: str
) -> None:
    redaction = redactor.redact(text)
    assert number not in redaction.text
    assert "PHONE_NUMBER" in redaction.counts


@pytest.mark.parametrize(
    "text",
    [
        "Invoice 2024-117: 12,500.00 EUR due in 30 days; ref. 4711.",
        "The office at 75019 opened in 2023, clause 14.2.",
    ],
)
def test_years_amounts_and_postcodes_are_not_phone_numbers(redactor: Any, text: str) -> None:
    assert "PHONE_NUMBER" not in redactor.redact(text, "en").counts


def test_languages_without_presidio_defaults_get_our_regions() -> None:
    phones = [r for r in generic_recognizers("fr") if isinstance(r, PhoneRecognizer)]
    assert len(phones) == 1
    assert type(phones[0]) is WindowedPhoneRecognizer
    assert tuple(phones[0].supported_regions) == PHONE_REGIONS
    assert phones[0].supported_language == "fr"


# Pieces that phone numbers, dates, amounts and their neighbours are made of.
_PIECES = st.sampled_from(
    [*"0123456789", " ", "-", ".", "/", "(", ")", "+", ",", ":", "#", "\t", "\n", "x", "ext. ", "Tel ", "€", "a", "é"]
)
_EXAMPLES = [
    "Call me on +44 20 7946 0958 or 020 7946 0958 before 5pm on 14/03/2024.",
    "Fax (212) 555-0175 ext. 42, office 212.555.0199, mobile 06 12 34 56 78.",
    "Tél. : 01 42 68 53 00 — SIRET 732 829 320 00074, 3 rue de Rivoli 75001 Paris.",
    "Numbers 123 456 7890123 4567 and 1234567890123456789012345 and +1-800-555-0100 x12.",
    "Ring 0049 30 1234567 or 030/1234567, not 12:30 or 2024/05/06.",
]


def _long(text: str, results: list[Any]) -> list[tuple[int, int, float]]:
    """What the redactor can keep: findings of at least MIN_PHONE_DIGITS digits."""
    return sorted(
        (r.start, r.end, r.score)
        for r in results
        if sum(ch.isdigit() for ch in text[r.start : r.end]) >= MIN_PHONE_DIGITS
    )


@pytest.fixture(scope="module", params=[PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS, PHONE_REGIONS])
def stock_and_windowed(request: pytest.FixtureRequest) -> tuple[PhoneRecognizer, PhoneRecognizer]:
    stock = PhoneRecognizer(supported_regions=request.param)
    return stock, windowed(stock)


def _assert_same(recognizers: tuple[PhoneRecognizer, PhoneRecognizer], text: str) -> None:
    stock, faster = recognizers
    found = faster.analyze(text, ["PHONE_NUMBER"])
    assert _long(text, found) == _long(text, stock.analyze(text, ["PHONE_NUMBER"]))


@pytest.mark.parametrize("text", _EXAMPLES)
def test_windows_find_what_the_stock_recognizer_finds_on_examples(stock_and_windowed: Any, text: str) -> None:
    _assert_same(stock_and_windowed, text)
    assert phone_windows(text)  # each example holds a run long enough to be a phone number


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=120).map("".join))
def test_windows_find_what_the_stock_recognizer_finds_on_generated_text(stock_and_windowed: Any, text: str) -> None:
    _assert_same(stock_and_windowed, text)


def test_prose_without_long_digit_runs_is_not_searched() -> None:
    assert phone_windows("The board met on 14 March 2024 about clause 14.2 and the 3 new sites in 2025.") == []


def test_the_engine_runs_the_windowed_recognizer_for_every_language(redactor: Any) -> None:
    phones = [r for r in redactor._analyzer.registry.recognizers if isinstance(r, PhoneRecognizer)]
    assert phones and all(type(r) is WindowedPhoneRecognizer for r in phones)
