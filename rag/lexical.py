"""Lexical (BM25) index of the redacted chunks in SQLite FTS5, kept beside the vector store.

FTS5 holds the texts and is the one source of truth: filters, deletion and erasure act on it. A collection of
``in_memory_min_chunks`` chunks or more is also ranked in memory by bm25s (``rag.lexical_bm25``), built on a
thread from FTS5's rows and valid for one generation of the collection only; FTS5 answers while there is none.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from rag.lexical_bm25 import Bm25Ranking, RankingBuilder
from rag.lexical_readers import (
    ReadableChunks,
    ReadableSet,
    forget_readers,
    readable_clause,
    readable_documents,
    recorded_readers,
    replace_readers,
)
from rag.lexical_schema import collection_state, open_index, read_snapshot, select_in, write_transaction
from rag.lexical_tokens import match_expression, query_words
from rag.types import Chunk, SearchHit

log = logging.getLogger(__name__)

_SHORTLIST_FACTOR = 8
# A query word found in more than this share of the chunks, and in more than _COMMON_MIN_CHUNKS of them,
# is too common to rank by: its BM25 weight is small (idf below log 9) while scoring every chunk that
# holds it costs most of a search ("2", "2024", "ticket" in a large store). As in Lucene's common-terms
# query, such words are left out when the question has rarer ones. Below the floor nothing is saved.
_COMMON_SHARE = 0.1
_COMMON_MIN_CHUNKS = 1000
# From this many chunks a collection is also ranked in memory (rag.lexical_bm25): FTS5's bm25() costs about
# 2 us per matching row, which at 100,000 chunks made the lexical side most of a search. Below, FTS5 is quick
# and the memory is not worth it.
DEFAULT_IN_MEMORY_MIN_CHUNKS = 20_000
_BUILD_BATCH = 20_000
# After a build, the next one of that collection waits this many times as long: during a long ingestion (every
# write makes the ranking stale) builds take at most about a tenth of a core and FTS5 answers in between.
_BUILD_PAUSE_FACTOR = 9.0
_RETRY_PAUSE_SECONDS = 60.0
_CHECKPOINT_ATTEMPTS = 50
_BUSY_TIMEOUT_MS = 5000  # Python's sqlite3 default


def rare_enough(document_frequency: dict[str, int], chunks: int) -> list[str]:
    """The words worth ranking by: all but the too common ones, unless every word is too common."""
    limit = max(_COMMON_SHARE * chunks, _COMMON_MIN_CHUNKS)
    kept = [word for word, frequency in document_frequency.items() if frequency <= limit]
    return kept or list(document_frequency)


class LexicalIndex:
    """BM25 search over the redacted chunks of every collection.

    FTS5 holds the index on disk. A collection of ``in_memory_min_chunks`` chunks or more is also ranked in
    memory (``Bm25Ranking``), rebuilt on a thread after the collection changes, whichever process wrote;
    FTS5 answers while that ranking is being built or is stale, so it never returns a row since deleted.
    """

    def __init__(self, path: Path, in_memory_min_chunks: int = DEFAULT_IN_MEMORY_MIN_CHUNKS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = threading.Lock()
        self._db = open_index(path)
        self._in_memory_min_chunks = in_memory_min_chunks
        self._rankings: dict[str, Bm25Ranking] = {}
        self._building: threading.Thread | None = None
        self._next_build_at: dict[str, float] = {}
        self._closed = False
        self._readable = ReadableChunks()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._rankings.clear()
            self._db.close()

    def upsert(
        self, collection: str, chunks: Sequence[Chunk], readers: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Index these chunks' texts (replacing chunks of the same ids), and record the readers of the documents
        named in ``readers`` (document id -> principals) in the same transaction. A document whose readers were
        never recorded is found by unrestricted searches only."""
        with self._lock, write_transaction(self._db):
            self._rankings.pop(collection, None)  # stale from now on
            self._db.executemany(
                "DELETE FROM chunk_texts WHERE collection = ? AND chunk_id = ?",
                [(collection, chunk.chunk_id) for chunk in chunks],
            )
            self._db.executemany(
                "INSERT INTO chunk_texts (text, chunk_id, collection, document_id, source, page) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(c.text, c.chunk_id, collection, c.document_id, c.source, c.page) for c in chunks],
            )
            if readers:
                replace_readers(self._db, collection, readers)

    def set_readers(self, collection: str, readers: Mapping[str, Sequence[str]]) -> None:
        """Record who may read each of these documents (document id -> principals), replacing what was recorded;
        their texts are left as they are."""
        with self._lock, write_transaction(self._db):
            replace_readers(self._db, collection, readers)

    def readers(self, collection: str, document_ids: Sequence[str]) -> dict[str, list[str]]:
        """The recorded readers of each of these documents that has any."""
        with self._lock:
            return recorded_readers(self._db, collection, document_ids)

    def readable_chunk_ids(self, collection: str, principals: Collection[str]) -> ReadableSet:
        """The ids of the collection's chunks whose documents name one of ``principals`` among their readers, with
        the collection's generation they were read at."""
        with self._lock:
            return self._readable.chunk_ids(self._db, collection, principals)

    def delete_document(self, collection: str, document_id: str) -> int:
        return self.delete_documents(collection, [document_id])

    def delete_documents(self, collection: str, document_ids: Sequence[str]) -> int:
        """Remove the chunks of these documents in one transaction; how many there were."""
        with self._lock, write_transaction(self._db):
            # Dropped at once, not at the next search: the erased texts' words leave memory with it.
            self._rankings.pop(collection, None)
            forget_readers(self._db, collection, document_ids)
            return sum(
                self._db.execute(
                    "DELETE FROM chunk_texts WHERE collection = ? AND document_id = ?", (collection, document_id)
                ).rowcount
                for document_id in document_ids
            )

    def delete_collection(self, collection: str) -> None:
        with self._lock:
            self._rankings.pop(collection, None)
            self._db.execute("DELETE FROM chunk_texts WHERE collection = ?", (collection,))
            forget_readers(self._db, collection)

    def texts(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The text of each chunk id that is indexed."""
        with self._lock:
            rows = select_in(
                self._db,
                "SELECT chunk_id, text FROM chunk_texts WHERE collection = ? AND chunk_id IN",
                chunk_ids,
                collection,
            )
        return dict(rows)

    def chunk_ids(self, collection: str) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT chunk_id FROM chunk_texts WHERE collection = ?", (collection,)).fetchall()
        return [row[0] for row in rows]

    def search(
        self,
        collection: str,
        query: str,
        top_k: int,
        source: str | None = None,
        page_min: int | None = None,
        page_max: int | None = None,
        readers: Collection[str] | None = None,
    ) -> list[SearchHit]:
        """The best ``top_k`` chunks for the query's words, within the filters; with ``readers``, only chunks of
        documents that name one of these principals among their readers (rag/access.py)."""
        words = query_words(query)
        if not words or (readers is not None and not readers):
            return []
        with self._lock:
            if self._db.in_transaction:  # left open by a failed write: it would hold every other writer
                self._db.execute("ROLLBACK")
            # One read transaction: the generation checked and the rows returned are one state of the file.
            with read_snapshot(self._db):
                ranking = self._current_ranking(collection)
                if ranking is not None:
                    kept = rare_enough(ranking.document_frequency(words), ranking.chunks)
                    readable = None if readers is None else readable_documents(self._db, collection, readers)
                    rows = self._rows_by_id(
                        collection, ranking.top(kept, top_k, source, page_min, page_max, documents=readable)
                    )
                else:
                    kept = rare_enough(self._document_frequency(words), self._chunks())
                    rows = self._fts_search(kept, collection, top_k, source, page_min, page_max, readers)
        return [
            SearchHit(
                chunk_id=chunk_id,
                document_id=document_id,
                source=source_,
                page=int(page),
                text=text,
                score=float(score),
                metadata={"document_id": document_id, "source": source_, "page": int(page)},
            )
            for chunk_id, document_id, source_, page, text, score in rows
        ]

    def prepare(self) -> None:
        """Build the in-memory ranking of each large collection now, not on the first searches."""
        with self._lock:
            collections = self._db.execute(
                "SELECT collection, generation FROM chunk_collections WHERE chunks > 0 AND chunks >= ?",
                (self._in_memory_min_chunks,),
            ).fetchall()
            wanted = [name for name, generation in collections if self._ranking_at(name, generation) is None]
        for collection in wanted:
            self._build_or_give_up(collection)

    def _fts_search(
        self,
        words: Sequence[str],
        collection: str,
        top_k: int,
        source: str | None,
        page_min: int | None,
        page_max: int | None,
        readers: Collection[str] | None,
    ) -> list[_Row]:
        clauses = ["t.collection = ?"]
        params: list[object] = [collection]
        for clause, value in (("t.source = ?", source), ("t.page >= ?", page_min), ("t.page <= ?", page_max)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if readers is not None:
            clause, readable = readable_clause(collection, readers)
            clauses.append(clause)
            params.extend(readable)
        columns = "t.chunk_id, t.document_id, t.source, t.page, t.text"
        filters = " AND ".join(clauses)
        # Fast path: rank the best matches of the whole index first, then filter. bm25 scores do not
        # depend on the filter, so when enough of the best survive the filter they are the answer;
        # otherwise rank every match that passes it. FTS5's bm25() is lower-is-better: negated.
        shortlist = (
            "WITH m AS MATERIALIZED (SELECT rowid, bm25(chunk_terms) AS score FROM chunk_terms "
            "WHERE chunk_terms MATCH ? ORDER BY score LIMIT ?) "
            f"SELECT {columns}, -m.score FROM m JOIN chunk_texts AS t ON t.id = m.rowid "
            f"WHERE {filters} ORDER BY m.score LIMIT ?"
        )
        exhaustive = (
            f"SELECT {columns}, -bm25(chunk_terms) AS score FROM chunk_terms "
            "JOIN chunk_texts AS t ON t.id = chunk_terms.rowid "
            f"WHERE chunk_terms MATCH ? AND {filters} ORDER BY score DESC LIMIT ?"
        )
        expression = match_expression(words)
        # Unfiltered, the best top_k of the whole index are the answer: no spare rows to join.
        limit = top_k if len(params) == 1 else top_k * _SHORTLIST_FACTOR
        rows: list[_Row] = self._db.execute(shortlist, [expression, limit, *params, top_k]).fetchall()
        if len(rows) < top_k:
            rows = self._db.execute(exhaustive, [expression, *params, top_k]).fetchall()
        return rows

    def _rows_by_id(self, collection: str, ranked: Sequence[tuple[int, float]]) -> list[_Row]:
        # The collection is checked here, not in SQL: there SQLite would scan the collection by its index
        # instead of looking the rowids up (13 ms against 0.1 at 100,000 chunks).
        rows = select_in(
            self._db,
            "SELECT id, collection, chunk_id, document_id, source, page, text FROM chunk_texts WHERE id IN",
            [rowid for rowid, _ in ranked],
        )
        found = {rowid: rest for rowid, row_collection, *rest in rows if row_collection == collection}
        return [(*found[rowid], score) for rowid, score in ranked if rowid in found]

    def _current_ranking(self, collection: str) -> Bm25Ranking | None:
        """The collection's in-memory ranking if it is of the collection's current generation, else None for
        FTS5 to answer; a build starts if the collection is large (called holding the lock, in a read snapshot)."""
        generation, chunks = collection_state(self._db, collection)
        large = chunks > 0 and chunks >= self._in_memory_min_chunks
        ranking = self._ranking_at(collection, generation) if large else None
        if ranking is None:
            # Dropped rather than kept for later: it may hold rows deleted since, and their words.
            self._rankings.pop(collection, None)
            if large:
                self._start_build(collection)
        return ranking

    def _ranking_at(self, collection: str, generation: int) -> Bm25Ranking | None:
        ranking = self._rankings.get(collection)
        return ranking if ranking is not None and ranking.generation == generation else None

    def _start_build(self, collection: str) -> None:
        # One build at a time: each takes a core for seconds.
        if self._building is not None and self._building.is_alive():
            return
        if time.monotonic() < self._next_build_at.get(collection, 0.0):
            return
        self._building = threading.Thread(
            target=self._build_or_give_up, args=(collection,), name="lexical-bm25", daemon=True
        )
        self._building.start()

    def _build_or_give_up(self, collection: str) -> None:
        started = time.monotonic()
        pause = 0.0
        ranking = None
        try:
            ranking = self._build(collection)
        except Exception:  # FTS5 answers; a later search tries again
            log.exception("building the in-memory lexical ranking of %r failed", collection)
            pause = _RETRY_PAUSE_SECONDS
        elapsed = time.monotonic() - started
        with self._lock:
            self._next_build_at[collection] = time.monotonic() + max(pause, _BUILD_PAUSE_FACTOR * elapsed)
            if ranking is None or self._closed:
                return
            # Not installed once the collection has changed: it could never answer, and may hold deleted words.
            if collection_state(self._db, collection)[0] == ranking.generation:
                self._rankings[collection] = ranking

    def _build(self, collection: str) -> Bm25Ranking | None:
        """The collection's ranking, or None when it was written to while its rows were read."""
        # On a connection of its own, so that searches go on (on FTS5) meanwhile, and in short reads: a read
        # transaction held for the whole build would keep compact()'s checkpoint from emptying the WAL. Every
        # write to the collection changes its generation, so an unchanged generation after the last batch
        # means that every batch read the same state.
        db = sqlite3.connect(self._path, isolation_level=None)
        try:
            generation, _ = collection_state(db, collection)
            builder = RankingBuilder()
            last = -(2**63)
            # In rowid order ("+collection": not by the collection's index, which would sort every batch anew).
            while batch := db.execute(
                "SELECT id, source, page, text, document_id FROM chunk_texts WHERE id > ? AND +collection = ? "
                "ORDER BY id LIMIT ?",
                (last, collection, _BUILD_BATCH),
            ).fetchall():
                builder.add(batch)
                last = batch[-1][0]
            if collection_state(db, collection)[0] != generation:
                return None
        finally:
            db.close()
        return builder.build(generation)

    def _document_frequency(self, words: Sequence[str]) -> dict[str, int]:
        # One look-up per word: fts5vocab answers "term = ?" from the index, not "term IN (...)".
        found: dict[str, int] = {}
        for word in words:
            row = self._db.execute("SELECT doc FROM chunk_vocabulary WHERE term = ?", (word,)).fetchone()
            found[word] = int(row[0]) if row else 0
        return found

    def _chunks(self) -> int:
        """How many chunks the index holds over every collection (FTS5's statistics are over all of them)."""
        return int(self._db.execute("SELECT coalesce(sum(chunks), 0) FROM chunk_collections").fetchone()[0])

    def compact(self) -> None:
        with self._lock:
            self._db.execute("INSERT INTO chunk_terms (chunk_terms) VALUES ('optimize')")
            self._checkpoint()
            self._db.execute("VACUUM")
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Move the WAL into the database file and empty it, waiting a while for other connections' reads to
        end. Each attempt waits 0.1 s at most, so that other processes' writes are not held up for long."""
        self._db.execute("PRAGMA busy_timeout = 100")
        try:
            for _ in range(_CHECKPOINT_ATTEMPTS):
                busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    return
                time.sleep(0.1)
            log.warning("the lexical index's WAL could not be emptied: other connections kept reading")
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")


_Row = tuple[str, str, str, int, str, float]  # chunk_id, document_id, source, page, text, score
