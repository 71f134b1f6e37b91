"""Who may read each document, in the lexical index's database: the ``document_readers`` table's reads and writes.

The lexical index holds the one list of a collection's chunks that every search consults, so it also answers
"which chunks may this caller read": the vector store is then asked for its nearest among those ids only. A
change of readers bumps the collection's generation, so that nothing computed from the old readers is reused.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from rag.lexical_schema import collection_state, read_snapshot, select_in

# Allowed-id lists kept for the callers' principal sets of the current generations (a few roles call most often).
_CACHED_SETS = 64


def replace_readers(db: sqlite3.Connection, collection: str, readers: Mapping[str, Sequence[str]]) -> None:
    """Record the readers of these documents (document id -> principals), replacing theirs; inside a write."""
    db.executemany(
        "DELETE FROM document_readers WHERE collection = ? AND document_id = ?",
        [(collection, document_id) for document_id in readers],
    )
    db.executemany(
        "INSERT OR IGNORE INTO document_readers (collection, principal, document_id) VALUES (?, ?, ?)",
        [(collection, p, document_id) for document_id, principals in readers.items() for p in principals],
    )
    db.execute("UPDATE chunk_collections SET generation = generation + 1 WHERE collection = ?", (collection,))


def forget_readers(db: sqlite3.Connection, collection: str, document_ids: Sequence[str] | None = None) -> None:
    """Drop the readers of these documents (of the whole collection when None); inside a write."""
    if document_ids is None:
        db.execute("DELETE FROM document_readers WHERE collection = ?", (collection,))
        return
    db.executemany(
        "DELETE FROM document_readers WHERE collection = ? AND document_id = ?",
        [(collection, document_id) for document_id in document_ids],
    )


def recorded_readers(db: sqlite3.Connection, collection: str, document_ids: Sequence[str]) -> dict[str, list[str]]:
    """The recorded readers of each of these documents that has any."""
    rows = select_in(
        db,
        "SELECT document_id, principal FROM document_readers WHERE collection = ? AND document_id IN",
        document_ids,
        collection,
    )
    found: dict[str, list[str]] = {}
    for document_id, principal in sorted(rows):
        found.setdefault(document_id, []).append(principal)
    return found


def readable_clause(collection: str, principals: Collection[str]) -> tuple[str, list[object]]:
    """The condition on ``chunk_texts AS t`` that keeps the chunks of documents naming one of ``principals``
    among their readers, and its parameters."""
    ordered = sorted(principals)
    clause = (
        "t.document_id IN (SELECT document_id FROM document_readers WHERE collection = ? AND principal IN "
        f"({','.join('?' * len(ordered))}))"
    )
    return clause, [collection, *ordered]


def readable_documents(db: sqlite3.Connection, collection: str, principals: Collection[str]) -> set[str]:
    """The documents of the collection that name one of ``principals``."""
    rows = select_in(
        db,
        "SELECT DISTINCT document_id FROM document_readers WHERE collection = ? AND principal IN",
        sorted(principals),
        collection,
    )
    return {row[0] for row in rows}


@dataclass(frozen=True)
class ReadableSet:
    """The ids of the chunks of ``collection`` that a set of principals may read, as of ``generation``."""

    collection: str
    generation: int
    chunk_ids: tuple[str, ...]


class ReadableChunks:
    """The readable sets of the callers' principal sets, each kept for its collection's generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[tuple[str, frozenset[str]], ReadableSet] = {}

    def chunk_ids(self, db: sqlite3.Connection, collection: str, principals: Collection[str]) -> ReadableSet:
        """Read in one snapshot of ``db`` (the caller holds the connection's lock)."""
        key = (collection, frozenset(principals))
        with read_snapshot(db):
            generation, _ = collection_state(db, collection)
            with self._lock:
                cached = self._cached.get(key)
            if cached is not None and cached.generation == generation:
                return cached
            clause, params = readable_clause(collection, principals)
            rows = db.execute(
                f"SELECT t.chunk_id FROM chunk_texts AS t WHERE t.collection = ? AND {clause}", [collection, *params]
            )
            ids = tuple(row[0] for row in rows)
        readable = ReadableSet(collection, generation, ids)
        with self._lock:
            if len(self._cached) >= _CACHED_SETS:
                self._cached.clear()
            self._cached[key] = readable
        return readable
