"""French social security numbers (NIR), which Presidio does not know: 13 digits and a two-digit key."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer


class FrenchNirRecognizer(PatternRecognizer):
    """French social security number (NIR): 13 digits and a two-digit key, 97 - (number mod 97)."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "NIR",
            r"\b[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[ABab])[ .]?\d{3}[ .]?\d{3}[ .]?\d{2}\b",
            0.6,
        )
    ]
    CONTEXT: ClassVar[list[str]] = ["sécurité sociale", "securite sociale", "nir", "insee", "numéro de sécu"]

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(
            supported_entity="FR_NIR",
            supported_language=supported_language,
            name="FrenchNirRecognizer",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        compact = "".join(ch for ch in pattern_text if ch.isalnum()).upper()
        if len(compact) != 15:
            return False
        # Corsican departments 2A and 2B are replaced by 19 and 18 for the key.
        body = compact[:13].replace("2A", "19").replace("2B", "18")
        if not body.isdigit() or not compact[13:].isdigit():
            return False
        return 97 - int(body) % 97 == int(compact[13:])
