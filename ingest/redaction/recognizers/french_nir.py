"""French social security numbers (NIR), which Presidio does not know, in every usual spelling.

Thirteen characters (sex, year, month, department, commune, order) and an optional two-digit key, grouped by
spaces or dots or written as one run: ``1 85 05 69 123 456 78``, ``1.85.05.69.123.456.78``, ``185056912345678``,
``1 85 05 69 123 456`` (no key). A key that checks (python-stdnum's ``fr.nir``) makes the value certain. A
value of that shape whose key does not check, or that has no key, is personal all the same when its label is
next to it (people mistype; forms leave the key out): its shape counts when a label word comes just before
("numéro de sécurité sociale", "NIR", "n° de sécu"; recognizers/labelled_shape.py). Alone, such a value stays
in clear text, so that order and file numbers of the same length are not eaten.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern
from stdnum.fr import nir

from ingest.redaction.recognizers.labelled_shape import SHAPE_SCORE, LabelledShapeRecognizer

_SEP = r"[ .]?"
_NIR = (
    rf"\b[12]{_SEP}\d{{2}}{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}(?:\d{{2}}|2[ABab]){_SEP}\d{{3}}{_SEP}\d{{3}}"
    rf"(?:{_SEP}\d{{2}})?\b"
)


class FrenchNirRecognizer(LabelledShapeRecognizer):
    """French social security number (NIR): certain with a valid key, otherwise only next to its label."""

    ENTITY = "FR_NIR"
    PATTERNS: ClassVar[list[Pattern]] = [Pattern("NIR", _NIR, SHAPE_SCORE)]
    # Single words: Presidio compares each context word with the lemmas of the words before the value.
    CONTEXT: ClassVar[list[str]] = ["sécurité", "securite", "sécu", "secu", "social", "nir", "insee", "assuré"]

    def __init__(self, supported_language: str = "fr") -> None:
        super().__init__(supported_language)

    def validate_result(self, pattern_text: str) -> bool | None:
        """True (certain) when the key checks; None (the shape's score, for the context to decide) otherwise."""
        compact = "".join(ch for ch in pattern_text if ch.isalnum()).upper()
        return True if len(compact) == 15 and nir.is_valid(compact) else None
