"""BM25 over the lexical index's chunks in memory, as sparse posting arrays: FTS5's ranking without its cost.

FTS5 scores every row that holds a query word one by one in its ``bm25()`` function, about 2 microseconds a
row; at 100,000 chunks a question's words are in 20,000 of them and the lexical ranking took most of a
search. Here each word's postings are numpy arrays, so a question is scored with a few vector operations.
The scores are FTS5's own (same tokens, same formula, same corpus statistics over the whole table), so
either ranking may answer a search and give the same rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# FTS5's bm25() constants.
_K1 = 1.2
_B = 0.75
_MIN_IDF = 1e-6
# Letters and digits of any script, as FTS5's unicode61 tokenizer's token characters (L*, N*).
_TOKEN = re.compile(r"[^\W_]+")
# Small segments are merged once there are this many, so a search reads few arrays per word.
_MAX_SEGMENTS = 8


class _Fold(dict[int, str]):
    """What FTS5's folding makes of each lower-case character, worked out once per character (for
    ``str.translate``): simple case folding (a final sigma, a long s), diacritics removed from Latin letters
    only (a Greek tonos stays), combining diacritical marks dropped, compatibility forms kept as they are
    (ligatures, full-width digits). Other combining marks are separators, as in FTS5."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char.casefold() if len(char.casefold()) == 1 else char
        if 0x300 <= code <= 0x36F:
            folded = ""
        elif 0xC0 <= code <= 0x24F or 0x1E00 <= code <= 0x1EFF:
            base = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
            folded = base if len(base) == 1 else folded
        self[code] = folded
        return folded


_FOLD = _Fold()


def fts_tokens(text: str) -> list[str]:
    """The terms FTS5's ``unicode61 remove_diacritics 2`` tokenizer makes of ``text``, in order."""
    text = text.lower()
    if not text.isascii():
        text = text.translate(_FOLD)
    return _TOKEN.findall(text)


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
        self._pages = _Column(np.int32)
        self._live_count = 0
        self._live_tokens = 0

    @property
    def chunks(self) -> int:
        """Live rows, over every collection (FTS5's row count)."""
        return self._live_count

    def add(self, rows: Iterable[MatrixRow]) -> None:
        """Index rows; a rowid already indexed is replaced."""
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
            idf = np.log((self._live_count - len(docs) + 0.5) / (len(docs) + 0.5))
            idf = max(float(idf), _MIN_IDF)
            norm = _K1 * (1 - _B + _B * lengths[docs] / average_length)
            scored_docs.append(docs)
            scored_parts.append(idf * counts * (_K1 + 1) / (counts + norm))
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
            best = np.argpartition(-scores, top_k - 1)[:top_k]
            candidates, scores = candidates[best], scores[best]
        rowids = self._rowids.values[candidates]
        order = np.lexsort((rowids, -scores))  # ties by rowid, as FTS5 visits rows
        return [(int(rowids[i]), float(scores[i])) for i in order]

    def _postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        term_id = self._terms.get(word)
        if term_id is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
        found = [segment.postings(term_id) for segment in self._segments]
        return np.concatenate([docs for docs, _ in found]), np.concatenate([counts for _, counts in found])

    def _name(self, name: str) -> int:
        return self._names.setdefault(name, len(self._names))

    def _merge_small_segments(self) -> None:
        # All but the largest merge once there are too many, and all of them once the small ones add up to
        # half of it, so a row's postings are rewritten a few times over the matrix's life, not each time.
        if len(self._segments) <= _MAX_SEGMENTS:
            return
        self._segments.sort(key=lambda segment: segment.size, reverse=True)
        largest, rest = self._segments[0], self._segments[1:]
        live = self._live.values
        if sum(segment.size for segment in rest) * 2 >= largest.size:
            self._segments = [_Segment.merged(self._segments, live)]
        else:
            self._segments = [largest, _Segment.merged(rest, live)]
