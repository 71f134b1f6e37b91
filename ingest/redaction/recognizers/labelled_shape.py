"""Values whose shape alone does not make them personal data, but whose label next to them does.

A mistyped IBAN or card number, a NIR without its key, a social security number no one is issued: next to
"IBAN", "carte", "sécurité sociale" or "SSN" each is what a person wrote as theirs, and alone the same shape is
as often an order or product code. Such a shape is scored just below the redactor's threshold (0.35), and
Presidio's context enhancement adds 0.35 when a label word comes just before it: only then does it count.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

SHAPE_SCORE = 0.3


class LabelledShapeRecognizer(PatternRecognizer):
    """A pattern recognizer of ``ENTITY`` from the class's ``PATTERNS`` (scored ``SHAPE_SCORE`` unless a
    ``validate_result`` makes them certain) and its label words, ``CONTEXT``."""

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]]
    CONTEXT: ClassVar[list[str]]

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            supported_language=supported_language,
            name=f"{type(self).__name__}_{supported_language}",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )
