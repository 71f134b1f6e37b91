"""Payment cards of every network, not only those Presidio's credit card recognizer knows.

A card number is 12 to 19 digits with an issuer prefix and a length of a known network, and a valid Luhn
check digit (python-stdnum); with a check digit that fails, it counts only next to a label word.
"""

from __future__ import annotations

from typing import ClassVar

import regex as re
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from stdnum import luhn

from ingest.redaction.recognizers.labelled_shape import SHAPE_SCORE

VALID_SCORE = 0.7
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){11,18}\d(?![\d]|-\d)")
# Issuer prefixes and lengths of the card networks (ISO/IEC 7812 ranges as published by the networks).
_CARD_NETWORKS: tuple[tuple[str, tuple[int, ...]], ...] = (
    (r"4", (13, 16, 19)),  # Visa
    (r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)", (16,)),  # Mastercard
    (r"3[47]", (15,)),  # American Express
    (r"6011|64[4-9]|65", (16, 17, 18, 19)),  # Discover
    (r"35(?:2[89]|[3-8]\d)", (16, 17, 18, 19)),  # JCB
    (r"2131|1800", (15,)),  # JCB (old)
    (r"30[0-5]|36|38|39", (14, 15, 16, 17, 18, 19)),  # Diners Club
    (r"50|5[6-9]|6\d", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro, UnionPay
    (r"220[0-4]", (16, 17, 18, 19)),  # Mir
)


def has_card_shape(value: str) -> bool:
    """An issuer prefix and a length of a known network, not one digit repeated."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(set(digits)) == 1:
        return False
    return any(re.match(prefix, digits) and len(digits) in lengths for prefix, lengths in _CARD_NETWORKS)


def is_card_number(value: str) -> bool:
    return has_card_shape(value) and bool(luhn.is_valid("".join(ch for ch in value if ch.isdigit())))


class PaymentCardRecognizer(LocalRecognizer):
    """Card numbers of every network, 12 to 19 digits, by issuer prefix, length and Luhn check."""

    CONTEXT: ClassVar[list[str]] = ["card", "carte", "credit", "crédit", "visa", "mastercard", "amex", "cb"]

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entities=["CREDIT_CARD"],
            name=f"PaymentCardRecognizer_{supported_language}",
            supported_language=supported_language,
            context=list(self.CONTEXT),
        )

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        """A valid check digit: a card. The shape alone: a score below the threshold, which a label word just
        before ("card", "carte", "Visa") lifts above it (a mistyped card number is the person's all the same)."""
        found = []
        for match in _CARD.finditer(text):
            if has_card_shape(match.group()):
                valid = is_card_number(match.group())
                score = VALID_SCORE if valid else SHAPE_SCORE
                # The explanation is where Presidio's context enhancement records the label word it found.
                why = AnalysisExplanation(type(self).__name__, score, textual_explanation="valid" if valid else "shape")
                found.append(RecognizerResult("CREDIT_CARD", match.start(), match.end(), score, why))
        return found
