"""Lexical (BM25) index of the redacted chunks in SQLite FTS5, kept beside the vector store."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from rag.types import Chunk, SearchHit

# Texts and their ids live in an ordinary table with real indexes (a chunk id or a document is found
# without scanning); FTS5 indexes that table as external content. Filtering an FTS5 table on an
# UNINDEXED column scans every row, which made each upsert cost O(store size).
_SCHEMA = """
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
    tokenize = 'unicode61 remove_diacritics 2'
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
_TERM = re.compile(r"[^\W_]+", re.UNICODE)
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")


@cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    return frozenset(EN | FR)


def query_words(query: str) -> list[str]:
    """The query's content words, lower case, each once, in order."""
    words = [w for w in _TERM.findall(_PLACEHOLDER.sub(" ", query).lower()) if w not in _stop_words()]
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
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        self._migrate_legacy_table()
        self._chunk_count: tuple[float, int] | None = None  # (when counted, count)

    def _migrate_legacy_table(self) -> None:
        legacy = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunks'").fetchone()
        if legacy:
            self._db.executescript(f"BEGIN IMMEDIATE;{_MIGRATE_LEGACY}COMMIT;")

    def close(self) -> None:
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
        found: dict[str, str] = {}
        ids = list(chunk_ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT chunk_id, text FROM chunk_texts WHERE collection = ? AND chunk_id IN ({marks})",
                    [collection, *part],
                ).fetchall()
                found.update(rows)
        return found

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
        columns = "t.chunk_id, t.document_id, t.source, t.page, t.text"
        filters = " AND ".join(clauses)
        # Fast path: rank the best matches of the whole index first, then filter. bm25 scores do not
        # depend on the filter, so when enough of the best survive the filter they are the answer;
        # otherwise rank every match that passes it.
        shortlist = (
            "WITH m AS MATERIALIZED (SELECT rowid, bm25(chunk_terms) AS score FROM chunk_terms "
            "WHERE chunk_terms MATCH ? ORDER BY score LIMIT ?) "
            f"SELECT {columns}, m.score FROM m JOIN chunk_texts AS t ON t.id = m.rowid "
            f"WHERE {filters} ORDER BY m.score LIMIT ?"
        )
        exhaustive = (
            f"SELECT {columns}, bm25(chunk_terms) AS score FROM chunk_terms "
            "JOIN chunk_texts AS t ON t.id = chunk_terms.rowid "
            f"WHERE chunk_terms MATCH ? AND {filters} ORDER BY score LIMIT ?"
        )
        with self._lock:
            expression = match_expression(rare_enough(self._document_frequency(words), self._chunks()))
            # Unfiltered, the best top_k of the whole index are the answer: no spare rows to join.
            limit = top_k if len(params) == 1 else top_k * _SHORTLIST_FACTOR
            rows = self._db.execute(shortlist, [expression, limit, *params, top_k]).fetchall()
            if len(rows) < top_k:
                rows = self._db.execute(exhaustive, [expression, *params, top_k]).fetchall()
        return [
            SearchHit(
                chunk_id=chunk_id,
                document_id=document_id,
                source=source_,
                page=int(page),
                text=text,
                score=-float(rank),  # FTS5's bm25() is lower-is-better
                metadata={"document_id": document_id, "source": source_, "page": int(page)},
            )
            for chunk_id, document_id, source_, page, text, rank in rows
        ]

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
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
