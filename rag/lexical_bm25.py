"""The in-memory BM25 ranking of one large collection, held by bm25s: FTS5's search without its per-row cost.

FTS5's ``bm25()`` scores every row that holds a query word one by one, about 2 microseconds a row; at
100,000 chunks a question's words are in 20,000 of them, and with FTS5 alone the fused search missed its
50 ms p95 (76 ms on a 2-core Zen 3). bm25s keeps each word's scores precomputed in a sparse column, so a
question is scored with a few numpy operations.

A ranking is built from one state of a collection and is right for that state only: ``generation`` is the
collection's write counter in the lexical index, which never lets a ranking of an older generation answer.
Scoring is bm25s's Lucene variant with FTS5's k1 and b: its idf, log(1 + (N - n + 0.5) / (n + 0.5)), stays
positive for a word in most chunks (where FTS5's floors at 1e-6), and it is taken over this collection only.
Retrieval fuses rankings by rank, so the scores need not be FTS5's; they are scaled by k1 + 1 to its range.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence, Set
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.lexical_tokens import fts_tokens

# FTS5's bm25() constants.
_K1 = 1.2
_B = 0.75

IndexedRow = tuple[int, str, int, str, str]  # rowid, source, page, text, document_id: a row of chunk_texts


class RankingBuilder:
    """Takes a collection's rows a batch at a time; each text is tokenized as it comes and not kept."""

    def __init__(self) -> None:
        self._vocabulary: dict[str, int] = {}
        self._documents: list[list[int]] = []  # each row's term ids, in order, repeats included
        self._frequency: Counter[int] = Counter()  # term id -> rows that hold it
        self._rowids: list[int] = []
        self._sources: list[str] = []
        self._pages: list[int] = []
        self._documents_of_rows: list[str] = []

    def add(self, rows: Iterable[IndexedRow]) -> None:
        vocabulary = self._vocabulary
        for rowid, source, page, text, document_id in rows:
            ids = [vocabulary.setdefault(token, len(vocabulary)) for token in fts_tokens(text)]
            self._documents.append(ids)
            self._frequency.update(set(ids))
            self._rowids.append(rowid)
            self._sources.append(source)
            self._pages.append(page)
            self._documents_of_rows.append(document_id)

    def build(self, generation: int) -> Bm25Ranking:
        """The ranking of the rows added, for the collection as of ``generation``."""
        retriever = None
        if self._vocabulary:  # bm25s cannot index a corpus without a single term
            import bm25s  # deferred: heavy (bm25s, with tqdm and scipy.sparse)

            # bm25s sets its logger to DEBUG when imported, which would log every build through the app's handlers.
            logging.getLogger("bm25s").setLevel(logging.WARNING)
            retriever = bm25s.BM25(k1=_K1, b=_B, method="lucene", backend="numpy")
            corpus = bm25s.tokenization.Tokenized(ids=self._documents, vocab=self._vocabulary)
            retriever.index(corpus, create_empty_token=False, show_progress=False)
        frequency = np.zeros(len(self._vocabulary), dtype=np.int64)
        if self._frequency:
            frequency[list(self._frequency)] = list(self._frequency.values())
        names = {name: code for code, name in enumerate(dict.fromkeys(self._sources))}
        documents = {name: code for code, name in enumerate(dict.fromkeys(self._documents_of_rows))}
        return Bm25Ranking(
            generation=generation,
            retriever=retriever,
            vocabulary=self._vocabulary,
            frequency=frequency,
            rowids=np.array(self._rowids, dtype=np.int64),
            sources=np.array([names[source] for source in self._sources], dtype=np.int32),
            source_codes=names,
            pages=np.array(self._pages, dtype=np.int64),
            documents=np.array([documents[name] for name in self._documents_of_rows], dtype=np.int32),
            document_codes=documents,
        )


class Bm25Ranking:
    """BM25 over one collection's rows as of one generation, filtered by source and page inside the ranking."""

    def __init__(
        self,
        *,
        generation: int,
        retriever: Any,
        vocabulary: dict[str, int],
        frequency: npt.NDArray[np.int64],
        rowids: npt.NDArray[np.int64],
        sources: npt.NDArray[np.int32],
        source_codes: dict[str, int],
        pages: npt.NDArray[np.int64],
        documents: npt.NDArray[np.int32],
        document_codes: dict[str, int],
    ) -> None:
        self.generation = generation
        self._retriever = retriever  # a bm25s.BM25, or None when no row holds a single term
        self._vocabulary = vocabulary
        self._frequency = frequency
        self._rowids = rowids
        self._sources = sources
        self._source_codes = source_codes
        self._pages = pages
        self._documents = documents
        self._document_codes = document_codes

    @property
    def chunks(self) -> int:
        """Rows of the collection the ranking holds."""
        return len(self._rowids)

    def document_frequency(self, words: Sequence[str]) -> dict[str, int]:
        """In how many of the collection's rows each word is."""
        return {word: int(self._frequency[self._vocabulary[word]]) if word in self._vocabulary else 0 for word in words}

    def top(
        self,
        words: Sequence[str],
        top_k: int,
        source: str | None = None,
        page_min: int | None = None,
        page_max: int | None = None,
        documents: Set[str] | None = None,
    ) -> list[tuple[int, float]]:
        """The best ``top_k`` (rowid, score) of the rows holding any of the words within the filters, best first;
        with ``documents``, only rows of these documents (the ones the caller may read)."""
        ids = [self._vocabulary[word] for word in dict.fromkeys(words) if word in self._vocabulary]
        if not ids or top_k <= 0 or self._retriever is None:
            return []
        mask = self._mask(source, page_min, page_max, documents)
        if mask is not None and not mask.any():
            return []
        # The filters weigh the scores before the top k are chosen (0 leaves a row out), so a filter narrows
        # the candidates and still gives top_k rows when that many match, not fewer from a cut taken first.
        scores = self._retriever.get_scores(ids, weight_mask=mask)
        # A row that holds none of the words, or that the filters leave out, scores 0. The top k are chosen
        # among the others here rather than by bm25s's retrieve: numpy's argpartition over every row, most of
        # them tied at 0, took 13 ms at 100,000 chunks, against well under 1 ms over the matching rows.
        candidates = np.flatnonzero(scores > 0)
        found = scores[candidates].astype(np.float64) * (_K1 + 1)
        if len(candidates) > top_k:
            # Every row tied with the k-th stays in, for the sort below to choose among them as FTS5 does.
            kth = np.partition(found, len(found) - top_k)[len(found) - top_k]
            candidates, found = candidates[found >= kth], found[found >= kth]
        rowids = self._rowids[candidates]
        order = np.lexsort((rowids, -found))[:top_k]  # ties by rowid: FTS5 visits rows in rowid order
        return [(int(rowids[i]), float(found[i])) for i in order]

    def _mask(
        self, source: str | None, page_min: int | None, page_max: int | None, documents: Set[str] | None
    ) -> npt.NDArray[np.float32] | None:
        if source is None and page_min is None and page_max is None and documents is None:
            return None
        wanted = np.ones(self.chunks, dtype=bool)
        if source is not None:
            wanted &= self._sources == self._source_codes.get(source, -1)
        if page_min is not None:
            wanted &= self._pages >= page_min
        if page_max is not None:
            wanted &= self._pages <= page_max
        if documents is not None:
            codes = [self._document_codes[name] for name in documents if name in self._document_codes]
            wanted &= np.isin(self._documents, np.array(codes, dtype=np.int32))
        return wanted.astype(np.float32)
