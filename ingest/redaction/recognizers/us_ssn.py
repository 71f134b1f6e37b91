"""US social security numbers that Presidio rejects as impossible, redacted next to their label.

Presidio's UsSsnRecognizer drops numbers no one is issued (000, 666 or 9xx areas, a 00 group, samples such as
123-45-6789). Next to "SSN" or "social security" such a value is still what a person wrote as theirs (mistyped,
or made up for a form), so it gets a score below the redactor's threshold that Presidio's context enhancement
lifts above it when a label word comes just before. Alone, the shape stays in clear text.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import UsSsnRecognizer

# Below the redactor's threshold (0.35): only a label word nearby (Presidio adds 0.35) makes it count.
SHAPE_SCORE = 0.3


class SsnShapeRecognizer(PatternRecognizer):
    """Three, two and four digits in groups, scored to count only next to a label word."""

    PATTERNS: ClassVar[list[Pattern]] = [Pattern("SSN (shape)", r"\b\d{3}[- .]\d{2}[- .]\d{4}\b", SHAPE_SCORE)]
    CONTEXT: ClassVar[list[str]] = list(UsSsnRecognizer.CONTEXT)

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entity="US_SSN",
            supported_language=supported_language,
            name=f"SsnShapeRecognizer_{supported_language}",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )
