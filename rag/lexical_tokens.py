"""The words of the lexical index: FTS5's tokens of a text, and a question's content words among them.

Both rankings of the lexical index see the same words: FTS5 tokenizes the stored texts with
``FTS_TOKENIZER``, and ``fts_tokens`` makes the same terms in Python for the in-memory ranking
(``rag.lexical_bm25``) and for questions.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from functools import cache

from rag.stop_words import all_stop_words

# The tokenizer of the lexical index's FTS5 table, which fts_tokens reproduces.
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")


class _Fold(dict[int, str]):
    """What FTS5's tokenizer makes of each character: itself folded (case, diacritics), nothing (a combining
    diacritic), or a space (a separator). Non-ASCII characters are asked of FTS5 itself, once each, so that
    its own Unicode tables decide (they differ from Python's: newer emoji and currency signs join words)."""

    def __init__(self) -> None:
        super().__init__((code, chr(code).lower() if chr(code).isalnum() else " ") for code in range(128))
        self._lock = threading.Lock()
        # Opened on the first non-ASCII character, not when the module is imported: importing must not open
        # a database, and ASCII-only text never needs one.
        self._db: sqlite3.Connection | None = None

    def _probe(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(":memory:", check_same_thread=False)
            db.execute(f"CREATE VIRTUAL TABLE probe USING fts5(text, tokenize = '{FTS_TOKENIZER}')")
            db.execute("CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, 'instance')")
            self._db = db
        return self._db

    def __missing__(self, code: int) -> str:
        with self._lock:
            db = self._probe()
            try:
                db.execute("DELETE FROM probe")
                db.execute("INSERT INTO probe (rowid, text) VALUES (1, ?)", (f"x{chr(code)}x",))
                terms = [term for (term,) in db.execute("SELECT term FROM probe_terms ORDER BY offset")]
            except (sqlite3.Error, UnicodeEncodeError):  # a lone surrogate, which no stored text can hold
                terms = []
        folded = terms[0][1:-1] if len(terms) == 1 else " "
        self[code] = folded
        return folded


_FOLD = _Fold()


def fts_tokens(text: str) -> list[str]:
    """The terms FTS5's ``unicode61 remove_diacritics 2`` tokenizer makes of ``text``, in order."""
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower())
    return [token for token in text.translate(_FOLD).split(" ") if token]


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(" ".join(fts_tokens(word)) for word in all_stop_words())


def query_words(query: str) -> list[str]:
    """The query's content words as the index holds them (lower case, no diacritics), each once, in order."""
    words = [w for w in fts_tokens(_PLACEHOLDER.sub(" ", query)) if w not in _stop_words()]
    return list(dict.fromkeys(words))


def match_expression(query: str | Sequence[str]) -> str | None:
    """An FTS5 query: any of the words (quoted, so no FTS syntax gets through)."""
    unique = query_words(query) if isinstance(query, str) else list(query)
    if not unique:
        return None
    return " OR ".join(f'"{word}"' for word in unique)
