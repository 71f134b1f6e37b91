"""Phone numbers through python-phonenumbers, as Presidio's stock ``PhoneRecognizer`` finds them, read only
where a text holds enough digits to make one.

python-phonenumbers' matcher tries every digit run of a text once per region (twelve here), and most runs
of a page of prose are years, amounts and clause numbers. The redactor keeps no phone number of fewer than
``MIN_PHONE_DIGITS`` digits (``redactor._plausible``), so the stock recognizer is run only on windows around
runs of digits, with their separators, that hold that many: each window reaches ``_MARGIN`` characters
further on both sides, out to white space, so that what the matcher looks at around a number (a letter
before it, an extension after it) is what it sees in the whole text. Only the public ``analyze`` is
overridden; the redaction evaluation finds the same spans token for token with and without the windows
(tests/test_phone_numbers.py compares both on generated text).
"""

from __future__ import annotations

import re
from typing import cast

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

MIN_PHONE_DIGITS = 7
# Regions whose national phone formats we expect in our users' documents.
PHONE_REGIONS = ("US", "GB", "FR", "DE", "BE", "CH", "CA", "IE", "ES", "IT", "NL", "LU")
# Digits held together by a few characters that are neither letters nor digits (spaces, dashes, dots,
# brackets, slashes, in any script).
_DIGIT_RUN = re.compile(r"\d(?:[^\w]{0,4}\d)*")
_MARGIN = 40


def phone_windows(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` worth giving the matcher: around each run of at least ``MIN_PHONE_DIGITS``
    digits, ``_MARGIN`` characters wider on both sides and out to white space, overlapping ones merged."""
    windows: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        if sum(ch.isdigit() for ch in run.group()) < MIN_PHONE_DIGITS:
            continue
        start = max(0, run.start() - _MARGIN)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = min(len(text), run.end() + _MARGIN)
        while end < len(text) and not text[end].isspace():
            end += 1
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows


class WindowedPhoneRecognizer(PhoneRecognizer):
    """Presidio's phone recognizer, run only on the windows of a text that may hold a phone number."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for start, end in phone_windows(text):
            # The stock recognizer reads no NLP artifacts (those of the whole text would not fit a window).
            for result in super().analyze(text[start:end], entities, cast(NlpArtifacts, None)):
                result.start += start
                result.end += start
                results.append(result)
        return EntityRecognizer.remove_duplicates(results)


def windowed(recognizer: PhoneRecognizer) -> WindowedPhoneRecognizer:
    """The windowed recognizer with the settings of a stock one (Presidio's predefined, for its languages)."""
    return WindowedPhoneRecognizer(
        context=recognizer.context,
        supported_language=recognizer.supported_language,
        supported_regions=recognizer.supported_regions,
        leniency=recognizer.leniency,
    )


def phone_recognizer(language: str) -> PhoneRecognizer:
    """The phone recognizer for ``language``, over ``PHONE_REGIONS``."""
    return WindowedPhoneRecognizer(supported_language=language, supported_regions=PHONE_REGIONS)
