"""The redactor's placeholders (``<PERSON_1>``, ``<PHONE_NUMBER_2>``) as the stages after it read them."""

from __future__ import annotations

import re
from collections import Counter

PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_\d+>")


def placeholder_counts(text: str) -> Counter[str]:
    """How many placeholders of each entity type the text holds."""
    return Counter(PLACEHOLDER.findall(text))
