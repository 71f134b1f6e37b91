"""IBANs whose check digits fail, redacted next to their label (Presidio's recognizer finds the valid ones).

People mistype account numbers, and a mistyped IBAN next to "IBAN" or "RIB" is the person's account all the
same: the IBAN's shape counts next to a label word (recognizers/labelled_shape.py). Alone, such a value stays in
clear text (a product or order code); one with valid check digits is certain, from Presidio's IbanRecognizer.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import IbanRecognizer

from ingest.redaction.recognizers.labelled_shape import SHAPE_SCORE, LabelledShapeRecognizer


class IbanShapeRecognizer(LabelledShapeRecognizer):
    """A value of the IBAN's shape (Presidio's pattern), scored to count only next to a label word."""

    ENTITY = "IBAN_CODE"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(f"{pattern.name} (shape)", pattern.regex, SHAPE_SCORE) for pattern in IbanRecognizer.PATTERNS
    ]
    CONTEXT: ClassVar[list[str]] = [*IbanRecognizer.CONTEXT, "account", "compte", "rib", "bancaire", "virement"]

    def validate_result(self, pattern_text: str) -> bool | None:
        """An IBAN starts with its country's code in capitals: "ab12 cdef ghij" is none (the analyzer matches
        patterns without regard to case). Otherwise undecided: the shape's score, for the context."""
        return None if pattern_text[:2].isascii() and pattern_text[:2].isupper() else False
