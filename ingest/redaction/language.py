"""Pick English or French for a document from the share of each language's stop words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from rag.stop_words import stop_words

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


@cache
def _stop_words(language: str) -> frozenset[str]:
    return stop_words("fr" if language == "fr" else "en")


def detect_language(text: str, languages: tuple[str, ...] = ("en", "fr"), sample_chars: int = 20_000) -> str:
    """The language among ``languages`` whose stop words are most frequent; the first one on a tie."""
    words = [word.lower() for word in _WORD.findall(text[:sample_chars])]
    if not words:
        return languages[0]
    scores = {language: sum(1 for word in words if word in _stop_words(language)) for language in languages}
    return max(languages, key=lambda language: scores[language])


def languages_per_document(documents: Sequence[object], languages: Sequence[str | None] | None) -> list[str | None]:
    """The language asked for each document, None where it is to be detected: one per document, or none given."""
    wanted: list[str | None] = list(languages) if languages is not None else [None] * len(documents)
    if len(wanted) != len(documents):
        raise ValueError("one language (or None) per document")
    return wanted
