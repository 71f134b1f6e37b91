"""Presidio's phone recognizer without the work whose findings the redactor drops anyway, or that it repeats.

python-phonenumbers' matcher tries every digit run of a text once per region (a quarter of the
redaction time of a page of prose goes there): years, amounts, clause numbers. The redactor keeps no
phone number of fewer than ``MIN_PHONE_DIGITS`` digits, and a candidate of the matcher holds every
number found in it, so candidates with fewer digits are skipped before they are parsed. The matcher's
pattern is unchanged, so every number of that many digits or more is found exactly as before.

Where the candidates are is the same for every region: the matcher's pattern does not depend on it, only
the parsing of each candidate does. Presidio runs one matcher per region (twelve here), each scanning the
whole text with that pattern again, so the scan from each position is made once per text and shared by
the regions' matchers, which go through the candidates as python-phonenumbers' own ``_find`` does.
"""

from __future__ import annotations

from typing import cast

import phonenumbers

# The package's stubs leave out the second pattern, which its own matcher uses just as it uses the first.
from phonenumbers.phonenumbermatcher import _PATTERN, _SECOND_NUMBER_START_PATTERN  # type: ignore[attr-defined]
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

MIN_PHONE_DIGITS = 7
# Regions whose national phone formats we expect in our users' documents.
PHONE_REGIONS = ("US", "GB", "FR", "DE", "BE", "CH", "CA", "IE", "ES", "IT", "NL", "LU")


class PhoneCandidates:
    """The phone-shaped runs of one text, each found once whichever region's matcher asks for it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._first_from: dict[int, tuple[int, str] | None] = {}

    @property
    def scans(self) -> int:
        """How often the pattern ran over the text: once for each position a candidate was asked for."""
        return len(self._first_from)

    def first_from(self, index: int) -> tuple[int, str] | None:
        """Where the first candidate at or after ``index`` starts and its text, cut before a second number
        as python-phonenumbers cuts it; None when there is none."""
        if index not in self._first_from:
            found = _PATTERN.search(self.text, index)
            if found is None:
                self._first_from[index] = None
            else:
                candidate = found.group()
                second = _SECOND_NUMBER_START_PATTERN.search(candidate)
                self._first_from[index] = (found.start(), candidate[: second.start()] if second else candidate)
        return self._first_from[index]


class _DigitFloorMatcher(phonenumbers.PhoneNumberMatcher):
    def __init__(self, candidates: PhoneCandidates, region: str, leniency: int) -> None:
        super().__init__(candidates.text, region, leniency=leniency)
        self._candidates = candidates

    def _find(self, index: int) -> phonenumbers.PhoneNumberMatch | None:
        # python-phonenumbers' own loop, with the pattern's scan taken from the text's shared candidates.
        found = self._candidates.first_from(index)
        while self._max_tries > 0 and found is not None:
            start, candidate = found
            if len(candidate) >= self._min_candidate_length:
                match = self._extract_match(candidate, start)
                if match is not None:
                    return match
                self._max_tries -= 1
            found = self._candidates.first_from(start + len(candidate))
        return None

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
        candidates = PhoneCandidates(text)
        results = [
            self._get_recognizer_result(match, text, self._region_of(match, region), nlp_artifacts)
            for region in self.supported_regions
            for match in _DigitFloorMatcher(candidates, region, leniency=cast(int, self.leniency))
        ]
        return EntityRecognizer.remove_duplicates(results)

    @staticmethod
    def _region_of(match: phonenumbers.PhoneNumberMatch, searched: str) -> str:
        try:
            return str(phonenumbers.region_code_for_number(phonenumbers.parse(match.raw_string)))
        except phonenumbers.NumberParseException:
            return searched
