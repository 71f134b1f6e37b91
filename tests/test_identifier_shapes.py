"""Identifiers by shape and context (issue #31): a mistyped IBAN or card number, or a social security number
Presidio rejects as never issued, is redacted next to its label; the same shape alone is left (an order or
product code), and a valid one is redacted with or without a label. The NIR is in tests/test_redaction_fr.py."""

from __future__ import annotations

from typing import Any

import pytest


def test_the_mistyped_values_really_fail_their_check() -> None:
    from stdnum import iban, luhn

    assert not iban.is_valid("DE89370400440532013001") and not iban.is_valid("FR7630006000011234567890180")
    assert not luhn.is_valid("4111111111111112") and not luhn.is_valid("4970101234567891")


@pytest.mark.parametrize(
    ("language", "text", "entity"),
    [
        # Check digits that fail, next to a label word: personal all the same.
        ("en", "Please pay to IBAN DE89 3704 0044 0532 0130 01 by Friday.", "IBAN_CODE"),
        ("fr", "Mon RIB : FR76 3000 6000 0112 3456 7890 180, merci.", "IBAN_CODE"),
        ("en", "Card number: 4111 1111 1111 1112, expiry 12/27.", "CREDIT_CARD"),
        ("fr", "Merci de débiter la carte 4970 1012 3456 7891 ce mois-ci.", "CREDIT_CARD"),
        ("en", "My SSN is 123-45-6789, please update it.", "US_SSN"),
        ("en", "Social security number: 000-12-3456.", "US_SSN"),
        # Valid check digits: certain, with no label.
        ("en", "Please pay to DE89 3704 0044 0532 0130 00 by Friday.", "IBAN_CODE"),
        ("en", "Charged on 4111 1111 1111 1111 yesterday.", "CREDIT_CARD"),
        # The shape alone, check digits failing, no label: left in clear text.
        ("en", "Product code DE89 3704 0044 0532 0130 01 is out of stock.", None),
        ("en", "Order 4111 1111 1111 1112 shipped.", None),
        ("en", "Part number 123-45-6789 is back in stock.", None),
        # Lower case is no IBAN, even next to "account" (the shape is case-sensitive, as Presidio's).
        ("en", "The account ab12 abcd efgh ijkl was renamed.", None),
    ],
)
def test_identifiers_by_shape_and_label(redactor: Any, language: str, text: str, entity: str | None) -> None:
    result = redactor.redact(text, language)
    if entity is None:
        assert result.text == text
    else:
        assert [e.type for e in result.entities] == [entity], result.text
        assert not any(part in result.text for part in ("0532", "1111 111", "3456", "6789"))


def test_the_iban_shape_needs_a_country_code_in_capitals() -> None:
    import regex

    from ingest.redaction.recognizers import IbanShapeRecognizer

    recognizer = IbanShapeRecognizer("en")
    flags = regex.IGNORECASE | regex.MULTILINE | regex.DOTALL  # what Presidio's analyzer passes every recognizer
    assert recognizer.analyze("The account ab12 abcd efgh ijkl was renamed.", ["IBAN_CODE"], None, flags) == []
    found = recognizer.analyze("IBAN DE89 3704 0044 0532 0130 01", ["IBAN_CODE"], None, flags)
    assert [(r.start, r.end) for r in found] == [(5, 32)]
