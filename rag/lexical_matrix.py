"""BM25 over the lexical index's chunks in memory, as sparse posting arrays: FTS5's ranking without its cost.

FTS5 scores every row that holds a query word one by one in its ``bm25()`` function, about 2 microseconds a
row; at 100,000 chunks a question's words are in 20,000 of them and the lexical ranking took most of a
search. Here each word's postings are numpy arrays, so a question is scored with a few vector operations.
The scores are FTS5's own (same tokens, same formula, same corpus statistics over the whole table), so
either ranking may answer a search and give the same rows.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# The tokenizer of the lexical index's FTS5 table, which fts_tokens reproduces.
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
# FTS5's bm25() constants.
_K1 = 1.2
_B = 0.75
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")


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


@dataclass(frozen=True)
class MatrixRow:
    """One row of the lexical index's table, as the matrix needs it."""

    rowid: int
    collection: str
    source: str
    page: int
    text: str


@dataclass(frozen=True)
class _Segment:
    """Postings of some documents: for the term ``terms[i]``, ``docs[starts[i]:starts[i + 1]]`` and counts."""

    terms: np.ndarray  # int64, ascending
    starts: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32 positions in the matrix
    counts: np.ndarray  # int32 occurrences of the term in the document

    @classmethod
    def from_pairs(cls, term_ids: np.ndarray, docs: np.ndarray, counts: np.ndarray) -> _Segment:
        order = np.lexsort((docs, term_ids))
        term_ids, docs, counts = term_ids[order], docs[order], counts[order]
        terms, starts = np.unique(term_ids, return_index=True)
        return cls(
            terms=terms,
            starts=np.append(starts, len(term_ids)).astype(np.int64),
            docs=docs.astype(np.int32),
            counts=counts.astype(np.int32),
        )

    @classmethod
    def merged(cls, segments: Sequence[_Segment], live: np.ndarray) -> _Segment:
        """One segment of the live documents' postings."""
        terms = np.concatenate([np.repeat(s.terms, np.diff(s.starts)) for s in segments])
        docs = np.concatenate([s.docs for s in segments])
        counts = np.concatenate([s.counts for s in segments])
        keep = live[docs]
        return cls.from_pairs(terms[keep], docs[keep], counts[keep])

    @property
    def size(self) -> int:
        return len(self.docs)

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        i = int(np.searchsorted(self.terms, term_id))
        if i == len(self.terms) or self.terms[i] != term_id:
            return self.docs[:0], self.counts[:0]
        return self.docs[self.starts[i] : self.starts[i + 1]], self.counts[self.starts[i] : self.starts[i + 1]]


class _Column:
    """A growable numpy array, one value per document position."""

    def __init__(self, dtype: type) -> None:
        self._values: np.ndarray = np.zeros(1024, dtype=dtype)
        self._length = 0

    def extend(self, values: Sequence[object]) -> None:
        needed = self._length + len(values)
        if needed > len(self._values):
            grown = np.zeros(max(needed, 2 * len(self._values)), dtype=self._values.dtype)
            grown[: self._length] = self._values[: self._length]
            self._values = grown
        self._values[self._length : needed] = values
        self._length = needed

    @property
    def values(self) -> np.ndarray:
        return self._values[: self._length]


class Bm25Matrix:
    """Posting arrays of every row of the lexical table, kept up to date by adding and removing rows.

    Positions are never reused: a removed row's postings stay, masked as dead, until their segment merges.
    """

    def __init__(self) -> None:
        self._terms: dict[str, int] = {}
        self._names: dict[str, int] = {}  # collections and sources, as small integers
        self._segments: list[_Segment] = []
        self._position: dict[int, int] = {}  # rowid -> position of its live document
        self._rowids = _Column(np.int64)
        self._live = _Column(np.bool_)
        self._lengths = _Column(np.int32)
        self._collections = _Column(np.int32)
        self._sources = _Column(np.int32)
        self._pages = _Column(np.int64)
        self._live_count = 0
        self._live_tokens = 0

    @property
    def chunks(self) -> int:
        """Live rows, over every collection (FTS5's row count)."""
        return self._live_count

    def add(self, rows: Iterable[MatrixRow], merge: bool = True) -> None:
        """Index rows; a rowid already indexed is replaced. ``merge=False`` leaves the new segment unmerged
        (a full build: its few large segments would only be rewritten again and again)."""
        rows = list(rows)
        self.remove([row.rowid for row in rows])
        first = len(self._rowids.values)
        term_ids: list[int] = []
        docs: list[int] = []
        lengths: list[int] = []
        for offset, row in enumerate(rows):
            tokens = fts_tokens(row.text)
            lengths.append(len(tokens))
            term_ids.extend(self._terms.setdefault(token, len(self._terms)) for token in tokens)
            docs.extend([first + offset] * len(tokens))
            self._position[row.rowid] = first + offset
        self._rowids.extend([row.rowid for row in rows])
        self._live.extend([True] * len(rows))
        self._lengths.extend(lengths)
        self._collections.extend([self._name(row.collection) for row in rows])
        self._sources.extend([self._name(row.source) for row in rows])
        self._pages.extend([row.page for row in rows])
        self._live_count += len(rows)
        self._live_tokens += sum(lengths)
        if term_ids:
            # One (term, document) pair per occurrence; counted into one posting per distinct pair.
            keys = np.array(term_ids, dtype=np.int64) << 32 | np.array(docs, dtype=np.int64)
            pairs, counts = np.unique(keys, return_counts=True)
            self._segments.append(_Segment.from_pairs(pairs >> 32, pairs & 0xFFFFFFFF, counts))
            if merge:
                self._merge_small_segments()

    def remove(self, rowids: Iterable[int]) -> None:
        live = self._live.values
        for rowid in rowids:
            position = self._position.pop(rowid, None)
            if position is not None:
                live[position] = False
                self._live_count -= 1
                self._live_tokens -= int(self._lengths.values[position])

    def term_counts(self) -> dict[str, tuple[int, int]]:
        """For each term of a live row: in how many live rows it is, and how often (fts5vocab's doc, cnt)."""
        rows = np.zeros(len(self._terms), dtype=np.int64)
        occurrences = np.zeros(len(self._terms), dtype=np.int64)
        live = self._live.values
        for segment in self._segments:
            terms = np.repeat(segment.terms, np.diff(segment.starts))
            keep = live[segment.docs]
            np.add.at(rows, terms[keep], 1)
            np.add.at(occurrences, terms[keep], segment.counts[keep])
        return {term: (int(rows[i]), int(occurrences[i])) for term, i in self._terms.items() if rows[i]}

    def document_frequency(self, words: Sequence[str]) -> dict[str, int]:
        """In how many live rows each word is."""
        live = self._live.values
        return {word: int(np.count_nonzero(live[self._postings(word)[0]])) for word in words}

    def top(
        self,
        words: Sequence[str],
        collection: str,
        top_k: int,
        source: str | None = None,
        page_min: int | None = None,
        page_max: int | None = None,
    ) -> list[tuple[int, float]]:
        """The best ``top_k`` (rowid, score) of the collection's rows holding any of the words, best first.

        Scores are FTS5's ``bm25()`` negated (higher is better): idf and the average length are taken over
        every live row of the table, whatever the collection, as FTS5 takes them.
        """
        if not self._live_count or collection not in self._names:
            return []
        live = self._live.values
        lengths = self._lengths.values
        average_length = self._live_tokens / self._live_count
        scored_docs: list[np.ndarray] = []
        scored_parts: list[np.ndarray] = []
        for word in dict.fromkeys(words):
            docs, counts = self._postings(word)
            keep = live[docs]
            docs, counts = docs[keep], counts[keep].astype(np.float64)
            if not len(docs):
                continue
            # In FTS5's order of operations (fts5_aux.c), so that the scores are its own to the last bit.
            idf = math.log((self._live_count - len(docs) + 0.5) / (len(docs) + 0.5))
            idf = idf if idf > 0.0 else 1e-6
            norm = _K1 * (1 - _B + _B * lengths[docs] / average_length)
            scored_docs.append(docs)
            scored_parts.append(idf * ((counts * (_K1 + 1.0)) / (counts + norm)))
        if not scored_docs:
            return []
        candidates, inverse = np.unique(np.concatenate(scored_docs), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate(scored_parts), minlength=len(candidates))
        wanted = self._collections.values[candidates] == self._names[collection]
        if source is not None:
            wanted &= self._sources.values[candidates] == self._names.get(source, -1)
        if page_min is not None:
            wanted &= self._pages.values[candidates] >= page_min
        if page_max is not None:
            wanted &= self._pages.values[candidates] <= page_max
        candidates, scores = candidates[wanted], scores[wanted]
        if len(candidates) > top_k:
            # Every row tied with the k-th stays in, for the sort below to choose among them as FTS5 does.
            kth = -np.partition(-scores, top_k - 1)[top_k - 1]
            best = scores >= kth
            candidates, scores = candidates[best], scores[best]
        rowids = self._rowids.values[candidates]
        order = np.lexsort((rowids, -scores))[:top_k]  # ties by rowid: FTS5 visits rows in rowid order
        return [(int(rowids[i]), float(scores[i])) for i in order]

    def _postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        term_id = self._terms.get(word)
        if term_id is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
        found = [segment.postings(term_id) for segment in self._segments]
        return np.concatenate([docs for docs, _ in found]), np.concatenate([counts for _, counts in found])

    def _name(self, name: str) -> int:
        return self._names.setdefault(name, len(self._names))

    @property
    def dead_share(self) -> float:
        """The share of indexed documents that were removed since, whose postings still take room."""
        positions = len(self._rowids.values)
        return 1 - self._live_count / positions if positions else 0.0

    def _merge_small_segments(self) -> None:
        # Size-tiered, as a binary counter: the newest segment merges with the one before while that is at
        # most twice its size, so segments shrink geometrically (about log n of them) and a posting is rewritten
        # about log n times over the matrix's life. Removed rows' postings are dropped as they merge.
        segments = self._segments
        while len(segments) > 1 and segments[-2].size <= 2 * segments[-1].size:
            segments[-2:] = [_Segment.merged(segments[-2:], self._live.values)]
