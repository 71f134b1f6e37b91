"""Presidio's phone recognizer without the work whose findings the redactor drops anyway.

python-phonenumbers' matcher tries every digit run of a text once per region (a quarter of the
redaction time of a page of prose goes there): years, amounts, clause numbers. The redactor keeps no
phone number of fewer than ``MIN_PHONE_DIGITS`` digits, and a candidate of the matcher holds every
number found in it, so candidates with fewer digits are skipped before they are parsed. The matcher's
own scan is unchanged, so every number of that many digits or more is found exactly as before.
"""

from __future__ import annotations

from typing import cast

import phonenumbers
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

MIN_PHONE_DIGITS = 7


class _DigitFloorMatcher(phonenumbers.PhoneNumberMatcher):
    def _extract_match(self, candidate: str, offset: int) -> phonenumbers.PhoneNumberMatch | None:
        if sum(ch.isdigit() for ch in candidate) < MIN_PHONE_DIGITS:
            return None
        return super()._extract_match(candidate, offset)


class DigitFloorPhoneRecognizer(PhoneRecognizer):
    """``PhoneRecognizer`` that finds the same numbers of at least ``MIN_PHONE_DIGITS`` digits, faster."""

    @classmethod
    def replacing(cls, recognizer: PhoneRecognizer) -> DigitFloorPhoneRecognizer:
        return cls(
            context=recognizer.context,
            supported_language=recognizer.supported_language,
            supported_entity=recognizer.supported_entities[0],
            supported_regions=recognizer.supported_regions,
            leniency=recognizer.leniency,
            name=recognizer.name,  # type: ignore[has-type]  # set in EntityRecognizer.__init__
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = [
            self._get_recognizer_result(match, text, self._region_of(match, region), nlp_artifacts)
            for region in self.supported_regions
            for match in _DigitFloorMatcher(text, region, leniency=cast(int, self.leniency))
        ]
        return EntityRecognizer.remove_duplicates(results)

    @staticmethod
    def _region_of(match: phonenumbers.PhoneNumberMatch, searched: str) -> str:
        try:
            return str(phonenumbers.region_code_for_number(phonenumbers.parse(match.raw_string)))
        except phonenumbers.NumberParseException:
            return searched
