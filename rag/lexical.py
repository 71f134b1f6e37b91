"""Lexical (BM25) index of the redacted chunks in SQLite FTS5, kept beside the vector store."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from rag.types import Chunk, SearchHit

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(
    text,
    chunk_id UNINDEXED,
    collection UNINDEXED,
    document_id UNINDEXED,
    source UNINDEXED,
    page UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
"""
_TERM = re.compile(r"[^\W_]+", re.UNICODE)
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")


@cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    return frozenset(EN | FR)


def match_expression(query: str) -> str | None:
    """An FTS5 query: any of the query's content words (quoted, so no FTS syntax gets through)."""
    words = [w for w in _TERM.findall(_PLACEHOLDER.sub(" ", query).lower()) if w not in _stop_words()]
    unique = list(dict.fromkeys(words))
    if not unique:
        return None
    return " OR ".join(f'"{word}"' for word in unique)


class LexicalIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def upsert(self, collection: str, chunks: Sequence[Chunk]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "DELETE FROM chunks WHERE chunk_id = ? AND collection = ?",
                    [(chunk.chunk_id, collection) for chunk in chunks],
                )
                self._db.executemany(
                    "INSERT INTO chunks (text, chunk_id, collection, document_id, source, page) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(c.text, c.chunk_id, collection, c.document_id, c.source, c.page) for c in chunks],
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def delete_document(self, collection: str, document_id: str) -> int:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM chunks WHERE collection = ? AND document_id = ?", (collection, document_id)
            )
            return cursor.rowcount

    def delete_collection(self, collection: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM chunks WHERE collection = ?", (collection,))

    def texts(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The text of each chunk id that is indexed."""
        found: dict[str, str] = {}
        ids = list(chunk_ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT chunk_id, text FROM chunks WHERE collection = ? AND chunk_id IN ({marks})",
                    [collection, *part],
                ).fetchall()
                found.update(rows)
        return found

    def chunk_ids(self, collection: str) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT chunk_id FROM chunks WHERE collection = ?", (collection,)).fetchall()
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
        expression = match_expression(query)
        if expression is None:
            return []
        clauses = ["chunks MATCH ?", "collection = ?"]
        params: list[object] = [expression, collection]
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        if page_min is not None:
            clauses.append("CAST(page AS INTEGER) >= ?")
            params.append(page_min)
        if page_max is not None:
            clauses.append("CAST(page AS INTEGER) <= ?")
            params.append(page_max)
        sql = (
            "SELECT chunk_id, document_id, source, page, text, bm25(chunks) FROM chunks "
            f"WHERE {' AND '.join(clauses)} ORDER BY bm25(chunks) LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, [*params, top_k]).fetchall()
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

    def compact(self) -> None:
        with self._lock:
            self._db.execute("INSERT INTO chunks(chunks) VALUES ('optimize')")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
