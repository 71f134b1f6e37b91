"""US social security numbers that Presidio rejects as impossible, redacted next to their label.

Presidio's UsSsnRecognizer drops numbers no one is issued (000, 666 or 9xx areas, a 00 group, samples such as
123-45-6789). Next to "SSN" or "social security" such a value is still what a person wrote as theirs (mistyped,
or made up for a form), so its shape counts next to a label word (recognizers/labelled_shape.py). Alone, the
shape stays in clear text.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import UsSsnRecognizer

from ingest.redaction.recognizers.labelled_shape import SHAPE_SCORE, LabelledShapeRecognizer


class SsnShapeRecognizer(LabelledShapeRecognizer):
    """Three, two and four digits in groups, scored to count only next to a label word."""

    ENTITY = "US_SSN"
    PATTERNS: ClassVar[list[Pattern]] = [Pattern("SSN (shape)", r"\b\d{3}[- .]\d{2}[- .]\d{4}\b", SHAPE_SCORE)]
    CONTEXT: ClassVar[list[str]] = list(UsSsnRecognizer.CONTEXT)
