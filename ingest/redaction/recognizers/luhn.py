"""The Luhn check shared by payment cards, SIRET and SIREN numbers, and the pattern recognizer built on it."""

from __future__ import annotations

from presidio_analyzer import PatternRecognizer


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


class LuhnPatternRecognizer(PatternRecognizer):
    """A pattern whose digits must pass the Luhn check (SIREN and SIRET numbers)."""

    def validate_result(self, pattern_text: str) -> bool | None:
        return luhn_ok("".join(ch for ch in pattern_text if ch.isdigit()))
