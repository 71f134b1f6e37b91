"""spaCy's English and French stop-word lists, the one source of "words that carry no content".

Lexical search, claim checking, language detection and the redaction recognizers all ask here, so that
they agree on what a stop word is. spaCy's import is slow; only its lists are needed, on first use.
"""

from __future__ import annotations

from functools import cache


@cache
def stop_words(language: str) -> frozenset[str]:
    """The stop words of ``"en"`` or ``"fr"``, as spaCy lists them (lower case, with diacritics)."""
    if language == "fr":
        from spacy.lang.fr.stop_words import STOP_WORDS  # deferred: heavy (spaCy), lists only
    elif language == "en":
        from spacy.lang.en.stop_words import STOP_WORDS  # deferred: heavy (spaCy), lists only
    else:
        raise ValueError(f"no stop words for language {language!r}")
    return frozenset(STOP_WORDS)


@cache
def all_stop_words() -> frozenset[str]:
    """English and French stop words together: for text whose language is not known."""
    return stop_words("en") | stop_words("fr")
