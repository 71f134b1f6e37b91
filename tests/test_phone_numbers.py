"""Phone numbers are found by Presidio's stock recognizer over our regions, and short digit runs are not."""

from __future__ import annotations

from typing import Any

import pytest
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from ingest.redaction.recognizers import generic_recognizers
from ingest.redaction.recognizers.phone import PHONE_REGIONS


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
    assert type(phones[0]) is PhoneRecognizer
    assert tuple(phones[0].supported_regions) == PHONE_REGIONS
    assert phones[0].supported_language == "fr"
