"""The ingestion ledger: what was ingested from where, with which content hash, and how it ended.

A document is marked ``pending`` before its chunks are written and ``done`` after, so a run that
died in between is recognized and redone by the next one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rag.types import DocumentStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection    TEXT NOT NULL,
    document_id   TEXT NOT NULL,
    root          TEXT NOT NULL,
    source        TEXT NOT NULL,
    path          TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    pipeline      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    kind          TEXT,
    pages         INTEGER NOT NULL DEFAULT 0,
    chunk_count   INTEGER NOT NULL DEFAULT 0,
    redactions    TEXT NOT NULL DEFAULT '{}',
    reason        TEXT,
    updated_at    REAL NOT NULL,
    readers       TEXT,
    PRIMARY KEY (collection, document_id)
);
CREATE INDEX IF NOT EXISTS documents_by_path ON documents (path);
CREATE INDEX IF NOT EXISTS documents_by_root ON documents (collection, root);
"""


@dataclass(frozen=True)
class LedgerRecord:
    """What is written for one document; ``LedgerEntry`` is what is read back."""

    collection: str
    document_id: str
    root: str
    source: str
    path: str
    content_hash: str
    pipeline: str
    status: DocumentStatus
    kind: str | None = None
    pages: int = 0
    chunk_count: int = 0
    redactions: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    # Who may read it (rag/access.py); None for a document stored before permissions were recorded.
    readers: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LedgerEntry(LedgerRecord):
    updated_at: float = 0.0


class Ledger:
    """The ledger's SQLite database, safe to share between threads.

    The server's request threads read it while its upload path writes and vacuums it. One connection serves
    them all, so every use of it holds ``_lock``: transactions belong to a connection, not to a thread, and
    two threads' ``BEGIN``s, a read between another's statements or a ``VACUUM`` beside an open cursor fail.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._closed = False
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # Free pages are overwritten with zeros so a forgotten document's rows leave no bytes behind.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(documents)")}
        if "readers" not in columns:  # a ledger written before permissions were recorded
            self._db.execute("ALTER TABLE documents ADD COLUMN readers TEXT")

    def close(self) -> None:
        """Close the connection, once any use of it in another thread is over; closing twice is harmless."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Every row of a query, read while holding the lock (a cursor left open would hold up a VACUUM)."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def get(self, collection: str, document_id: str) -> LedgerEntry | None:
        rows = self._rows("SELECT * FROM documents WHERE collection = ? AND document_id = ?", (collection, document_id))
        return _entry(rows[0]) if rows else None

    def entries(
        self, collection: str | None = None, root: str | None = None, status: DocumentStatus | None = None
    ) -> list[LedgerEntry]:
        clauses, params = [], []
        for column, value in (("collection", collection), ("root", root), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._rows(f"SELECT * FROM documents {where} ORDER BY collection, source", params)
        return [_entry(row) for row in rows]

    def entries_under(self, collection: str, path: str) -> list[LedgerEntry]:
        """Entries whose file is ``path`` or lies below the folder ``path``."""
        prefix = path.rstrip("/") + "/"
        rows = self._rows(
            "SELECT * FROM documents WHERE collection = ? AND (path = ? OR substr(path, 1, ?) = ?)",
            (collection, path, len(prefix), prefix),
        )
        return [_entry(row) for row in rows]

    def record(self, record: LedgerRecord) -> None:
        self.record_many([record])

    def record_many(self, records: Sequence[LedgerRecord]) -> None:
        """Several records in one transaction."""
        with self._transaction() as db:
            db.executemany(
                f"INSERT OR REPLACE INTO documents ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                [_row(record) for record in records],
            )

    def set_readers(self, collection: str, readers: dict[str, tuple[str, ...]]) -> None:
        """Record new readers (document id -> principals) of these documents, leaving the rest of each row."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE documents SET readers = ?, updated_at = ? WHERE collection = ? AND document_id = ?",
                [(json.dumps(list(p)), time.time(), collection, document_id) for document_id, p in readers.items()],
            )

    def without_readers(self) -> list[LedgerEntry]:
        """Documents stored before permissions were recorded (their readers unknown)."""
        rows = self._rows("SELECT * FROM documents WHERE readers IS NULL AND status = ?", (DocumentStatus.DONE,))
        return [_entry(row) for row in rows]

    def remove(self, collection: str, document_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE collection = ? AND document_id = ?", (collection, document_id))

    def compact(self) -> None:
        """Fold the write-ahead log into the database and rebuild it, leaving no stale pages."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _entry(row: sqlite3.Row) -> LedgerEntry:
    values = dict(row)
    values["redactions"] = json.loads(values["redactions"])
    values["status"] = DocumentStatus(values["status"])
    readers = values.get("readers")
    values["readers"] = tuple(json.loads(readers)) if readers is not None else None
    return LedgerEntry(**values)


_COLUMNS = (
    "collection",
    "document_id",
    "root",
    "source",
    "path",
    "content_hash",
    "pipeline",
    "status",
    "kind",
    "pages",
    "chunk_count",
    "redactions",
    "reason",
    "updated_at",
    "readers",
)


def _row(record: LedgerRecord) -> tuple[object, ...]:
    """The ``documents`` row of one record, in ``_COLUMNS`` order (``updated_at`` is the time of writing)."""
    return (
        record.collection,
        record.document_id,
        record.root,
        record.source,
        record.path,
        record.content_hash,
        record.pipeline,
        record.status,
        record.kind,
        record.pages,
        record.chunk_count,
        json.dumps(record.redactions, sort_keys=True),
        record.reason,
        time.time(),
        json.dumps(list(record.readers)) if record.readers is not None else None,
    )
