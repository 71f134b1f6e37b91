"""French establishment numbers (SIRET), which Presidio does not know: 14 digits passing the Luhn check (python-stdnum,
which also knows La Poste's establishments, numbered by another rule)."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer
from stdnum.fr import siret


class FrenchSiretRecognizer(PatternRecognizer):
    """A SIRET number: the company's SIREN and a five-digit establishment number."""

    PATTERNS: ClassVar[list[Pattern]] = [Pattern("SIRET", r"\b\d{3}[ .]?\d{3}[ .]?\d{3}[ .]?\d{5}\b", 0.5)]
    CONTEXT: ClassVar[list[str]] = ["siret", "établissement", "etablissement"]

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(
            supported_entity="FR_SIRET",
            supported_language=supported_language,
            name="FrenchSiretRecognizer",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        return bool(siret.is_valid(pattern_text.replace(".", " ")))
