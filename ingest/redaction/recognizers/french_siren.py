"""French company numbers (SIREN), which Presidio does not know: 9 digits passing the Luhn check (python-stdnum).

Nine digits pass Luhn one time in ten by chance, so a SIREN needs its context word to score.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer
from stdnum.fr import siren


class FrenchSirenRecognizer(PatternRecognizer):
    """A SIREN number, scored too low to count without a context word ("siren", "RCS")."""

    PATTERNS: ClassVar[list[Pattern]] = [Pattern("SIREN", r"\b\d{3}[ .]?\d{3}[ .]?\d{3}\b", 0.2)]
    CONTEXT: ClassVar[list[str]] = ["siren", "rcs", "immatriculée", "immatriculation"]

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(
            supported_entity="FR_SIREN",
            supported_language=supported_language,
            name="FrenchSirenRecognizer",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        return bool(siren.is_valid(pattern_text.replace(".", " ")))
