"""Phone numbers through python-phonenumbers, as Presidio's stock ``PhoneRecognizer`` finds them.

The only choices of ours are the regions whose national layouts are tried and the digit floor below
which a match is dropped by the redactor (``redactor._plausible``): years, amounts and postcodes that a
region's parser accepts ("2024", "75019") are not phone numbers. An earlier version skipped those short
candidates inside python-phonenumbers' matcher through its private API (redaction was about 11% faster,
docs/benchmarks.md); the stock recognizer is kept instead, so a library upgrade cannot break it silently.
"""

from __future__ import annotations

from presidio_analyzer.predefined_recognizers import PhoneRecognizer

MIN_PHONE_DIGITS = 7
# Regions whose national phone formats we expect in our users' documents.
PHONE_REGIONS = ("US", "GB", "FR", "DE", "BE", "CH", "CA", "IE", "ES", "IT", "NL", "LU")


def phone_recognizer(language: str) -> PhoneRecognizer:
    """Presidio's phone recognizer for ``language``, over ``PHONE_REGIONS``."""
    return PhoneRecognizer(supported_language=language, supported_regions=PHONE_REGIONS)
