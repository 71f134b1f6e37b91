"""IBANs whose check digits fail, redacted next to their label (Presidio's recognizer finds the valid ones).

People mistype account numbers, and a mistyped IBAN next to "IBAN" or "RIB" is the person's account all the
same. A value of the IBAN's shape gets a score below the redactor's threshold, which Presidio's context
enhancement lifts above it when a label word comes just before. Alone, such a value stays in clear text (a
product or order code); one with valid check digits is certain, from Presidio's own IbanRecognizer.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import IbanRecognizer

# Below the redactor's threshold (0.35): only a label word nearby (Presidio adds 0.35) makes it count.
SHAPE_SCORE = 0.3


class IbanShapeRecognizer(PatternRecognizer):
    """A value of the IBAN's shape (Presidio's pattern), scored to count only next to a label word."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(f"{pattern.name} (shape)", pattern.regex, SHAPE_SCORE) for pattern in IbanRecognizer.PATTERNS
    ]
    CONTEXT: ClassVar[list[str]] = [*IbanRecognizer.CONTEXT, "account", "compte", "rib", "bancaire", "virement"]

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entity="IBAN_CODE",
            supported_language=supported_language,
            name=f"IbanShapeRecognizer_{supported_language}",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        """An IBAN starts with its country's code in capitals: "ab12 cdef ghij" is none (the analyzer matches
        patterns without regard to case). Otherwise undecided: the shape's score, for the context."""
        return None if pattern_text[:2].isascii() and pattern_text[:2].isupper() else False
