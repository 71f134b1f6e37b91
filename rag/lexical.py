"""Lexical (BM25) index of the redacted chunks in SQLite FTS5, kept beside the vector store."""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from rag.lexical_matrix import FTS_TOKENIZER, Bm25Matrix, MatrixRow, fts_tokens
from rag.types import Chunk, SearchHit

log = logging.getLogger(__name__)

# Texts and their ids live in an ordinary table with real indexes (a chunk id or a document is found
# without scanning); FTS5 indexes that table as external content. Filtering an FTS5 table on an
# UNINDEXED column scans every row, which made each upsert cost O(store size).
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS chunk_texts (
    id INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    source TEXT NOT NULL,
    page INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (collection, chunk_id)
);
CREATE INDEX IF NOT EXISTS chunk_texts_by_document ON chunk_texts (collection, document_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
    text,
    content = 'chunk_texts',
    content_rowid = 'id',
    tokenize = '{FTS_TOKENIZER}'
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vocabulary USING fts5vocab(chunk_terms, 'row');
CREATE TRIGGER IF NOT EXISTS chunk_texts_insert AFTER INSERT ON chunk_texts BEGIN
    INSERT INTO chunk_terms (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunk_texts_delete AFTER DELETE ON chunk_texts BEGIN
    INSERT INTO chunk_terms (chunk_terms, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER IF NOT EXISTS chunk_texts_update AFTER UPDATE ON chunk_texts BEGIN
    INSERT INTO chunk_terms (chunk_terms, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO chunk_terms (rowid, text) VALUES (new.id, new.text);
END;
-- Which rows changed, in order, so that a reader's in-memory ranking catches up with the writes of every
-- process by reading only those rows. Ids only: no text outlives its row here.
CREATE TABLE IF NOT EXISTS chunk_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, row INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS chunk_changes_insert AFTER INSERT ON chunk_texts BEGIN
    INSERT INTO chunk_changes (row) VALUES (new.id);
END;
CREATE TRIGGER IF NOT EXISTS chunk_changes_delete AFTER DELETE ON chunk_texts BEGIN
    INSERT INTO chunk_changes (row) VALUES (old.id);
END;
CREATE TRIGGER IF NOT EXISTS chunk_changes_update AFTER UPDATE ON chunk_texts BEGIN
    INSERT INTO chunk_changes (row) VALUES (old.id);
    INSERT INTO chunk_changes (row) VALUES (new.id);
END;
"""
# Data dirs written before the external-content layout hold one FTS5 table named "chunks".
_MIGRATE_LEGACY = """
INSERT OR REPLACE INTO chunk_texts (collection, chunk_id, document_id, source, page, text)
    SELECT collection, chunk_id, document_id, source, CAST(page AS INTEGER), text FROM chunks;
DROP TABLE chunks;
"""
_SHORTLIST_FACTOR = 8
# A query word found in more than this share of the chunks, and in more than _COMMON_MIN_CHUNKS of them,
# is too common to rank by: its BM25 weight is small (idf below log 9) while scoring every chunk that
# holds it costs most of a search ("2", "2024", "ticket" in a large store). As in Lucene's common-terms
# query, such words are left out when the question has rarer ones. Below the floor nothing is saved.
_COMMON_SHARE = 0.1
_COMMON_MIN_CHUNKS = 1000
_CHUNK_COUNT_TTL_SECONDS = 30.0
# From this many chunks searches rank in memory (rag.lexical_matrix): FTS5's bm25() costs about 2 us per
# matching row, which at 100,000 chunks made the lexical side most of a search (p95 35 ms of SQL alone).
# Below, FTS5 is quick and the memory (8 bytes per word of a chunk, 1.5 KiB per chunk resident) is not worth it.
DEFAULT_IN_MEMORY_MIN_CHUNKS = 20_000
# A search brings the in-memory ranking up to date itself when at most this many rows changed since (about
# 0.15 s of tokenizing); after more (a running ingestion) it is rebuilt on a thread and FTS5 answers meanwhile.
_CATCH_UP_CHANGES = 2_000
# The change log keeps this many entries; a reader further behind rebuilds.
_KEPT_CHANGES = 50_000
# A change naming this row tells readers to rebuild (compact() empties the log and leaves it).
_REBUILD = -1
_MAX_DEAD_SHARE = 0.25
_BUILD_PAUSE_FACTOR = 9.0
_RETRY_PAUSE_SECONDS = 60.0
_CHECKPOINT_ATTEMPTS = 50
_BUSY_TIMEOUT_MS = 5000  # Python's sqlite3 default
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")


@cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    return frozenset(" ".join(fts_tokens(word)) for word in EN | FR)


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


def rare_enough(document_frequency: dict[str, int], chunks: int) -> list[str]:
    """The words worth ranking by: all but the too common ones, unless every word is too common."""
    limit = max(_COMMON_SHARE * chunks, _COMMON_MIN_CHUNKS)
    kept = [word for word, frequency in document_frequency.items() if frequency <= limit]
    return kept or list(document_frequency)


class LexicalIndex:
    """BM25 search over the redacted chunks of every collection.

    FTS5 holds the index on disk. A store of ``in_memory_min_chunks`` chunks or more is also ranked in
    memory (``Bm25Matrix``, the same scores), kept current through the ``chunk_changes`` log whichever
    process writes; FTS5 answers while that ranking is being built or is behind.
    """

    def __init__(self, path: Path, in_memory_min_chunks: int = DEFAULT_IN_MEMORY_MIN_CHUNKS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        self._migrate_legacy_table()
        self._chunk_count: tuple[float, int] | None = None  # (when counted, count)
        self._in_memory_min_chunks = in_memory_min_chunks
        self._matrix: Bm25Matrix | None = None
        self._matrix_seq = 0  # the last change the matrix holds
        self._building: threading.Thread | None = None
        self._next_build_at = 0.0
        self._closed = False

    def _migrate_legacy_table(self) -> None:
        legacy = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunks'").fetchone()
        if legacy:
            self._db.executescript(f"BEGIN IMMEDIATE;{_MIGRATE_LEGACY}COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._matrix = None
            self._db.close()

    def upsert(self, collection: str, chunks: Sequence[Chunk]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "DELETE FROM chunk_texts WHERE collection = ? AND chunk_id = ?",
                    [(collection, chunk.chunk_id) for chunk in chunks],
                )
                self._db.executemany(
                    "INSERT INTO chunk_texts (text, chunk_id, collection, document_id, source, page) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(c.text, c.chunk_id, collection, c.document_id, c.source, c.page) for c in chunks],
                )
                self._db.execute(
                    "DELETE FROM chunk_changes WHERE seq <= (SELECT max(seq) FROM chunk_changes) - ?",
                    (_KEPT_CHANGES,),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def delete_document(self, collection: str, document_id: str) -> int:
        return self.delete_documents(collection, [document_id])

    def delete_documents(self, collection: str, document_ids: Sequence[str]) -> int:
        """Remove the chunks of these documents in one transaction; how many there were."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = sum(
                    self._db.execute(
                        "DELETE FROM chunk_texts WHERE collection = ? AND document_id = ?", (collection, document_id)
                    ).rowcount
                    for document_id in document_ids
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return removed

    def delete_collection(self, collection: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM chunk_texts WHERE collection = ?", (collection,))

    def texts(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The text of each chunk id that is indexed."""
        with self._lock:
            rows = _select_in(
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
    ) -> list[SearchHit]:
        words = query_words(query)
        if not words:
            return []
        clauses = ["t.collection = ?"]
        params: list[object] = [collection]
        if source is not None:
            clauses.append("t.source = ?")
            params.append(source)
        if page_min is not None:
            clauses.append("t.page >= ?")
            params.append(page_min)
        if page_max is not None:
            clauses.append("t.page <= ?")
            params.append(page_max)
        with self._lock:
            # One read transaction: the change log, the rows it names and the rows returned are one snapshot
            # (a rowid freed by a delete and given to a new row cannot slip in between).
            if self._db.in_transaction:  # left open by a failed write: it would hold every other writer
                self._db.execute("ROLLBACK")
            with _read_snapshot(self._db):
                matrix = self._current_matrix()
                if matrix is not None:
                    kept = rare_enough(matrix.document_frequency(words), matrix.chunks)
                    ranked = matrix.top(kept, collection, top_k, source, page_min, page_max)
                    rows = self._rows_by_id(collection, ranked)
                else:
                    kept = rare_enough(self._document_frequency(words), self._chunks())
                    rows = self._fts_search(kept, clauses, params, top_k)
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
        """Build the in-memory ranking now, if the store is large enough for one, not on the first searches."""
        with self._lock:
            large = self._chunks() >= self._in_memory_min_chunks
        if large:
            self._build_or_give_up()

    def _fts_search(self, words: Sequence[str], clauses: list[str], params: list[object], top_k: int) -> list[_Row]:
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
        rows = _select_in(
            self._db,
            "SELECT id, collection, chunk_id, document_id, source, page, text FROM chunk_texts WHERE id IN",
            [rowid for rowid, _ in ranked],
        )
        found = {rowid: rest for rowid, row_collection, *rest in rows if row_collection == collection}
        return [(*found[rowid], score) for rowid, score in ranked if rowid in found]

    def _current_matrix(self) -> Bm25Matrix | None:
        """The in-memory ranking brought up to date, or None for FTS5 to answer (called holding the lock,
        in the search's read transaction)."""
        if self._chunks() < self._in_memory_min_chunks:
            self._matrix = None
            return None
        matrix = self._matrix
        if matrix is None:
            self._start_build()
            return None
        seq = self._caught_up(matrix, self._matrix_seq)
        if seq is None:
            # Dropped rather than kept for later: it may hold the words of rows forgotten since.
            self._matrix = None
            self._start_build()
            return None
        self._matrix_seq = seq
        if matrix.dead_share > _MAX_DEAD_SHARE:
            self._start_build()  # to drop the removed rows' postings; this one answers meanwhile
        return matrix

    def _caught_up(self, matrix: Bm25Matrix, seq: int) -> int | None:
        """Apply the changes logged after ``seq`` to the matrix: the change it now holds, or None when it
        cannot be brought up to date from the log (pruned, compacted, too far behind, or a failure)."""
        latest = _latest_change(self._db)
        if seq == latest:
            return seq
        oldest = self._db.execute("SELECT min(seq) FROM chunk_changes").fetchone()[0]
        if oldest is None or oldest > seq + 1 or latest - seq > _CATCH_UP_CHANGES:
            return None
        changed = [
            row
            for (row,) in self._db.execute(
                "SELECT DISTINCT row FROM chunk_changes WHERE seq > ? AND seq <= ?", (seq, latest)
            )
        ]
        if _REBUILD in changed:  # the index was compacted: what the matrix holds of forgotten rows must go
            return None
        try:
            matrix.remove(changed)
            matrix.add(_matrix_rows(self._db, changed))
        except Exception:  # a matrix half updated must not answer
            log.exception("updating the in-memory lexical ranking failed")
            return None
        return latest

    def _start_build(self) -> None:
        if self._building is not None and self._building.is_alive():
            return
        if time.monotonic() < self._next_build_at:
            return
        self._building = threading.Thread(target=self._build_or_give_up, name="lexical-matrix", daemon=True)
        self._building.start()

    def _build_or_give_up(self) -> None:
        started = time.monotonic()
        pause = 0.0
        try:
            self._build_matrix()
        except _TermsDiffer:
            log.exception("the in-memory lexical ranking is off: FTS5 alone ranks this index")
            self._in_memory_min_chunks = sys.maxsize
        except Exception:  # FTS5 answers; a later search tries again
            log.exception("building the in-memory lexical ranking failed")
            pause = _RETRY_PAUSE_SECONDS
        finally:
            # Builds take at most about a tenth of a core: during a long ingestion FTS5 answers in between.
            elapsed = time.monotonic() - started
            self._next_build_at = time.monotonic() + max(pause, _BUILD_PAUSE_FACTOR * elapsed)

    def _build_matrix(self) -> None:
        # On a connection of its own, so that searches go on (on FTS5) meanwhile, and in short reads: a read
        # transaction held for the whole build would keep compact()'s checkpoint from emptying the WAL.
        # Rows written during the build are in the change log after `latest` and replayed by the next search.
        db = sqlite3.connect(self._path, isolation_level=None)
        try:
            latest = _latest_change(db)
            matrix = Bm25Matrix()
            last = -(2**63)
            while batch := db.execute(
                "SELECT id, collection, source, page, text FROM chunk_texts WHERE id > ? ORDER BY id LIMIT 20000",
                (last,),
            ).fetchall():
                matrix.add((MatrixRow(*row) for row in batch), merge=False)
                last = batch[-1][0]
            # A safety net: fts_tokens asks FTS5 how it treats each character, so the terms should always
            # agree. They can only be compared when nothing was written during the build.
            db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.terms USING fts5vocab(main, chunk_terms, 'row')")
            indexed: dict[str, tuple[int, int]] | None = None
            with _read_snapshot(db):
                if _latest_change(db) == latest:
                    indexed = {
                        term: (rows, count) for term, rows, count in db.execute("SELECT term, doc, cnt FROM temp.terms")
                    }
        finally:
            db.close()
        if indexed is not None and (counted := matrix.term_counts()) != indexed:
            differing = sorted(set(indexed.items()) ^ set(counted.items()))[:5]
            raise _TermsDiffer(f"the in-memory terms differ from FTS5's: {differing}")
        with self._lock:
            if self._closed:
                return
            # Brought up to date before it replaces anything (a matrix caught up further is not set back);
            # one that cannot be, after a compaction or a long ingestion, is not installed.
            with _read_snapshot(self._db):
                seq = self._caught_up(matrix, latest)
            if seq is not None:
                self._matrix, self._matrix_seq = matrix, seq

    def _document_frequency(self, words: Sequence[str]) -> dict[str, int]:
        # One look-up per word: fts5vocab answers "term = ?" from the index, not "term IN (...)".
        found: dict[str, int] = {}
        for word in words:
            row = self._db.execute("SELECT doc FROM chunk_vocabulary WHERE term = ?", (word,)).fetchone()
            found[word] = int(row[0]) if row else 0
        return found

    def _chunks(self) -> int:
        """How many chunks the index holds, counted at most every few seconds (other processes write too)."""
        now = time.monotonic()
        if self._chunk_count is None or now - self._chunk_count[0] > _CHUNK_COUNT_TTL_SECONDS:
            self._chunk_count = (now, int(self._db.execute("SELECT count(*) FROM chunk_texts").fetchone()[0]))
        return self._chunk_count[1]

    def compact(self) -> None:
        with self._lock:
            self._db.execute("INSERT INTO chunk_terms (chunk_terms) VALUES ('optimize')")
            self._checkpoint()
            self._db.execute("VACUUM")
            self._checkpoint()
            # Last, once no byte of forgotten text is left on disk: every reader's in-memory ranking, this one's
            # included, is rebuilt from what is left rather than updated, so that forgotten words leave memory too.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM chunk_changes")
                self._db.execute("INSERT INTO chunk_changes (row) VALUES (?)", (_REBUILD,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

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


class _TermsDiffer(RuntimeError):
    """The in-memory ranking's terms are not FTS5's: it would rank otherwise."""


_Row = tuple[str, str, str, int, str, float]  # chunk_id, document_id, source, page, text, score


def _latest_change(db: sqlite3.Connection) -> int:
    # AUTOINCREMENT keeps the highest seq ever given here, even once the log is emptied.
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'chunk_changes'").fetchone()
    return int(row[0]) if row else 0


def _matrix_rows(db: sqlite3.Connection, rowids: Sequence[int]) -> list[MatrixRow]:
    select = "SELECT id, collection, source, page, text FROM chunk_texts WHERE id IN"
    return [MatrixRow(*row) for row in _select_in(db, select, rowids)]


def _select_in(db: sqlite3.Connection, select: str, values: Sequence[object], *leading: object) -> list[Any]:
    """Rows of ``select`` ending in ``IN``, with ``values`` in its list: in batches that SQLite's limit on
    bound parameters allows. ``leading`` binds the parameters before the list."""
    rows: list[Any] = []
    values = list(values)
    for start in range(0, len(values), 500):
        part = values[start : start + 500]
        rows.extend(db.execute(f"{select} ({','.join('?' * len(part))})", [*leading, *part]))
    return rows


@contextmanager
def _read_snapshot(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction on a connection in autocommit mode: what is read inside is one state of the file."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("COMMIT")
