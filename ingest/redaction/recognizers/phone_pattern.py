"""Phone numbers that python-phonenumbers rejects, in any national layout.

A phone number is a run of digit groups, trusted alone when its format can only be a phone number (a
+country code, an extension, the North American layout) and otherwise only next to a word such as
"phone" or "fax".
"""

from __future__ import annotations

import regex as re
from presidio_analyzer import LocalRecognizer, RecognizerResult

_PHONE = re.compile(
    r"(?<![\w+/.-])"
    r"(?P<number>(?:\+|00)?(?:\d{1,4}[ .-]?)?(?:\(0\)[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,6}){0,5})"
    r"(?P<extension>[ ]?(?:x|ext\.?|extension|poste)[ ]?\d{1,6})?"
    r"(?![\w]|[.,-]\d)"
)
# Layouts that are phone numbers whatever surrounds them.
_PHONE_STRONG = re.compile(
    r"^(?:\+\d.*|00\d{2}.*|.*\(0\).*|\(\d{2,4}\)[ .-]?\d{3}[ .-]?\d{3,4}|(?:1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}"
    r"|001-\d{3}-\d{3}-\d{4}|0[1-9](?:[ .]\d{2}){4})$"
)
_PHONE_CONTEXT = re.compile(
    r"(?i:\b(?:phone|telephone|téléphone|tel|tél|mobile|mob|cell|cellphone|fax|desk|office|home|work|call|"
    r"calling|called|contact|reach|dial|ring|text|sms|whatsapp|answering|messages?|"
    r"landline|portable|fixe|appeler|appelez|joindre|rappeler)\b)"
)
_NOT_PHONE_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:EUR|USD|GBP|CHF|version|v|art|article|n°)\.?)[ \t]*$", re.I)
_NOT_PHONE_AFTER = re.compile(r"^(?::\d|[ \t]*(?:%|EUR|USD|GBP|CHF|€|\$|km|kg|m²|ms|s\b|h\b|min))", re.I)
_IP_LIKE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_DATE_LIKE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")


def _phone_digits_ok(number: str) -> bool:
    digits = sum(ch.isdigit() for ch in number)
    return 7 <= digits <= 15


def _has_phone_context(text: str, start: int, end: int) -> bool:
    """A phone word shortly before the number (same or previous line) or right after it ("office")."""
    before = text[max(0, start - 40) : start]
    after = text[end : end + 12]
    return bool(_PHONE_CONTEXT.search(before) or _PHONE_CONTEXT.search(after))


def find_phone_numbers(text: str) -> list[tuple[int, int, float]]:
    """Phone numbers in national or international layout: (start, end, score)."""
    found: list[tuple[int, int, float]] = []
    for match in _PHONE.finditer(text):
        number = match.group("number").strip(" .-")
        start = match.start("number")
        end = match.end()
        if not _phone_digits_ok(number) or _DATE_LIKE.match(number) or _IP_LIKE.match(number):
            continue
        if _NOT_PHONE_BEFORE.search(text, max(0, start - 12), start) or _NOT_PHONE_AFTER.match(text[end:]):
            continue
        if _PHONE_STRONG.match(number) or match.group("extension"):
            found.append((start, end, 0.6))
        elif _has_phone_context(text, start, end):
            found.append((start, end, 0.55))
    return found


class PhoneNumberPatternRecognizer(LocalRecognizer):
    """Digit-group phone numbers that python-phonenumbers rejects: "699 956 915" after "call me on"."""

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entities=["PHONE_NUMBER"],
            name=f"PhoneNumberPatternRecognizer_{supported_language}",
            supported_language=supported_language,
        )

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        return [RecognizerResult("PHONE_NUMBER", s, e, score) for s, e, score in find_phone_numbers(text)]
