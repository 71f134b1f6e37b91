"""The lexical index's SQLite layout, its migrations, and the transactions its readers and writers use."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rag.lexical_tokens import FTS_TOKENIZER

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
-- The change log that the hand-written in-memory ranking read, in data dirs written before bm25s.
DROP TRIGGER IF EXISTS chunk_changes_insert;
DROP TRIGGER IF EXISTS chunk_changes_delete;
DROP TRIGGER IF EXISTS chunk_changes_update;
DROP TABLE IF EXISTS chunk_changes;
"""
# Each collection's row count and generation, changed by triggers in the transaction of every write, whichever
# process writes: an in-memory ranking built at one generation answers only while the collection is still at
# it. Created and filled in one write transaction, so that no row is written between the count and the triggers.
_COLLECTIONS = """
CREATE TABLE chunk_collections (collection TEXT PRIMARY KEY, generation INTEGER NOT NULL, chunks INTEGER NOT NULL);
INSERT INTO chunk_collections SELECT collection, 1, count(*) FROM chunk_texts GROUP BY collection;
CREATE TRIGGER chunk_collections_insert AFTER INSERT ON chunk_texts BEGIN
    INSERT INTO chunk_collections VALUES (new.collection, 1, 1)
        ON CONFLICT (collection) DO UPDATE SET generation = generation + 1, chunks = chunks + 1;
END;
CREATE TRIGGER chunk_collections_delete AFTER DELETE ON chunk_texts BEGIN
    UPDATE chunk_collections SET generation = generation + 1, chunks = chunks - 1 WHERE collection = old.collection;
END;
CREATE TRIGGER chunk_collections_update AFTER UPDATE ON chunk_texts BEGIN
    UPDATE chunk_collections SET generation = generation + 1, chunks = chunks - 1 WHERE collection = old.collection;
    INSERT INTO chunk_collections VALUES (new.collection, 1, 1)
        ON CONFLICT (collection) DO UPDATE SET generation = generation + 1, chunks = chunks + 1;
END;
"""
# Who may read each document (rag/access.py): a table of its own, so that a change of permissions writes a few
# rows and leaves the texts and their terms alone (it moves the collection's generation: rag/lexical_readers.py).
# Documents indexed before permissions existed were readable by every key of their collection: they keep that, as
# ``everyone``.
_READERS = """
CREATE TABLE document_readers (
    collection TEXT NOT NULL,
    principal TEXT NOT NULL,
    document_id TEXT NOT NULL,
    PRIMARY KEY (collection, principal, document_id)
) WITHOUT ROWID;
CREATE INDEX document_readers_by_document ON document_readers (collection, document_id);
INSERT INTO document_readers SELECT DISTINCT collection, 'everyone', document_id FROM chunk_texts;
"""
# Data dirs written before the external-content layout hold one FTS5 table named "chunks".
_MIGRATE_LEGACY = """
INSERT OR REPLACE INTO chunk_texts (collection, chunk_id, document_id, source, page, text)
    SELECT collection, chunk_id, document_id, source, CAST(page AS INTEGER), text FROM chunks;
DROP TABLE chunks;
"""


def open_index(path: Path) -> sqlite3.Connection:
    """A connection to the index at ``path`` in autocommit mode, its layout created or brought up to date."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA secure_delete=ON")
    db.executescript(_SCHEMA)
    with write_transaction(db):
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "chunks" in tables:
            _execute(db, _MIGRATE_LEGACY)
        if "chunk_collections" not in tables:
            _execute(db, _COLLECTIONS)
        if "document_readers" not in tables:
            _execute(db, _READERS)
    return db


def collection_state(db: sqlite3.Connection, collection: str) -> tuple[int, int]:
    """The collection's generation and row count; (0, 0) for a collection never written to."""
    row = db.execute("SELECT generation, chunks FROM chunk_collections WHERE collection = ?", (collection,)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def select_in(db: sqlite3.Connection, select: str, values: Sequence[object], *leading: object) -> list[Any]:
    """Rows of ``select`` ending in ``IN``, with ``values`` in its list: in batches that SQLite's limit on
    bound parameters allows. ``leading`` binds the parameters before the list."""
    rows: list[Any] = []
    values = list(values)
    for start in range(0, len(values), 500):
        part = values[start : start + 500]
        rows.extend(db.execute(f"{select} ({','.join('?' * len(part))})", [*leading, *part]))
    return rows


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on a connection in autocommit mode, rolled back if anything inside fails."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextmanager
def read_snapshot(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction on a connection in autocommit mode: what is read inside is one state of the file."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("COMMIT")


def _execute(db: sqlite3.Connection, script: str) -> None:
    """Run a script's statements one by one (``executescript`` would commit the transaction first)."""
    pending = ""
    for line in script.strip().splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            db.execute(pending)
            pending = ""
