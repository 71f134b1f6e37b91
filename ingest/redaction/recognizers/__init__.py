"""The recognizers Enclave adds to Presidio's, one per module, and the lists the engine registers.

Each one generalizes from how the thing is written, never from a list of known values (the name lists
in ingest/redaction/names.py are lists of names people have, not of any data set's).
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
)

from ingest.redaction.recognizers.cued_name import CuedNameRecognizer
from ingest.redaction.recognizers.french_nir import FrenchNirRecognizer
from ingest.redaction.recognizers.french_siren import FrenchSirenRecognizer
from ingest.redaction.recognizers.french_siret import FrenchSiretRecognizer
from ingest.redaction.recognizers.given_name import GivenNameRecognizer
from ingest.redaction.recognizers.iban import IbanShapeRecognizer
from ingest.redaction.recognizers.payment_card import PaymentCardRecognizer
from ingest.redaction.recognizers.phone import phone_recognizer
from ingest.redaction.recognizers.phone_pattern import PhoneNumberPatternRecognizer
from ingest.redaction.recognizers.street_address import StreetAddressRecognizer
from ingest.redaction.recognizers.titled_name import ContextualNameRecognizer
from ingest.redaction.recognizers.us_ssn import SsnShapeRecognizer

__all__ = [
    "ContextualNameRecognizer",
    "CuedNameRecognizer",
    "FrenchNirRecognizer",
    "FrenchSirenRecognizer",
    "FrenchSiretRecognizer",
    "GivenNameRecognizer",
    "IbanShapeRecognizer",
    "PaymentCardRecognizer",
    "PhoneNumberPatternRecognizer",
    "SsnShapeRecognizer",
    "StreetAddressRecognizer",
    "french_identifier_recognizers",
    "generic_recognizers",
    "name_recognizers",
    "pattern_recognizers",
    "phone_recognizer",
    "street_address_recognizers",
]


def street_address_recognizers() -> list[EntityRecognizer]:
    return [StreetAddressRecognizer("en"), StreetAddressRecognizer("fr")]


def french_identifier_recognizers() -> list[EntityRecognizer]:
    return [FrenchNirRecognizer(), FrenchSiretRecognizer(), FrenchSirenRecognizer()]


def name_recognizers(language: str, vocabulary: frozenset[str], with_nouns: frozenset[str]) -> list[EntityRecognizer]:
    """The person-name recognizers for a language: ``vocabulary`` holds its common words, ``with_nouns``
    those and its nouns (cues admit single unknown words, so nouns count as common words there)."""
    return [
        ContextualNameRecognizer(language),
        GivenNameRecognizer(language, vocabulary),
        CuedNameRecognizer(language, with_nouns),
    ]


def generic_recognizers(language: str) -> list[EntityRecognizer]:
    """Language-independent recognizers of Presidio, instantiated for a language Presidio lacks them for."""
    return [
        EmailRecognizer(supported_language=language),
        CreditCardRecognizer(supported_language=language),
        IbanRecognizer(supported_language=language),
        IpRecognizer(supported_language=language),
        phone_recognizer(language),
    ]


def pattern_recognizers(language: str) -> list[EntityRecognizer]:
    """Our own language-independent recognizers, for every language."""
    return [
        PhoneNumberPatternRecognizer(language),
        PaymentCardRecognizer(language),
        IbanShapeRecognizer(language),
        SsnShapeRecognizer(language),
    ]
