"""The one writer of ingestion: ledger pending -> vector store -> lexical index -> ledger done.

Everything that changes what is stored goes through here, so the order that makes a crash harmless holds
everywhere: a document is marked pending before its old chunks are replaced and done only after, so a run
that dies in between leaves it pending and the next run redoes it. Failed and forgotten files lose their
chunks here too: chunks of an earlier version must not answer for a file that can no longer be read.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from ingest.admission import ATTACHMENT_SEPARATOR, AdmittedDocument
from ingest.ledger import Ledger, LedgerEntry, LedgerRecord
from ingest.outcomes import FileOutcome
from ingest.preparation import timed
from rag import PIPELINE_VERSION
from rag.access import EVERYONE, reader_flags
from rag.errors import StoreError
from rag.lexical import LexicalIndex
from rag.protocols import VectorStore
from rag.types import DocumentStatus, FileOutcomeStatus


class DocumentWriter:
    """Stores prepared documents and records failures and removals, in the ledger's order."""

    def __init__(self, store: VectorStore, lexical: LexicalIndex, ledger: Ledger) -> None:
        self.store = store
        self.lexical = lexical
        self.ledger = ledger

    def write(
        self, collection: str, items: Sequence[AdmittedDocument], timings: dict[str, float]
    ) -> dict[str, FileOutcome]:
        """Store the chunks of ``items`` together: the vector store takes a batch far faster than many small
        ones. pending -> replace chunks -> done, for all of them at once."""
        # Each chunk carries its document's readers, so that retrieval filters on them in the store itself.
        chunks = [
            replace(chunk, metadata={**chunk.metadata, **reader_flags(item.readers)})
            for item in items
            for chunk in item.prepared.chunks
        ]
        vectors = np.vstack([item.prepared.embeddings for item in items if item.prepared.embeddings is not None])
        assert len(vectors) == len(chunks)
        with timed(timings, "store"), _writing(", ".join(item.source for item in items[:3])):
            self.ledger.record_many([_record(collection, item, DocumentStatus.PENDING) for item in items])
            document_ids = [item.document_id for item in items]
            self.store.delete_documents(collection, document_ids)
            self.lexical.delete_documents(collection, document_ids)
            self.store.upsert(collection, chunks, vectors)
            self.lexical.upsert(collection, chunks, {item.document_id: item.readers for item in items})
            self.ledger.record_many([_record(collection, item, DocumentStatus.DONE) for item in items])
        return {
            item.document_id: FileOutcome(
                source=item.source,
                status=item.status,
                chunks=len(item.prepared.chunks),
                pages=item.prepared.pages,
                redactions=item.prepared.redactions,
                document_id=item.document_id,
                kind=item.prepared.kind,
                warnings=list(item.prepared.warnings),
            )
            for item in items
        }

    def keep_unchanged(
        self, previous: LedgerEntry | None, content_hash: str, readers: tuple[str, ...]
    ) -> FileOutcome | None:
        """The outcome of a document stored before with this content by this pipeline, its readers brought up to
        date in its metadata only (no chunk is re-embedded); None when it must be loaded again."""
        if (
            previous is None
            or previous.status is not DocumentStatus.DONE
            or previous.content_hash != content_hash
            or previous.pipeline != PIPELINE_VERSION
        ):
            return None
        status = FileOutcomeStatus.SKIPPED
        if previous.readers != readers:
            # A message's attachments are documents of their own, read by whoever may read the message.
            prefix = f"{previous.source}{ATTACHMENT_SEPARATOR}"
            attachments = [
                e.document_id
                for e in self.ledger.entries_under(previous.collection, previous.path)
                if e.source.startswith(prefix)
            ]
            self.set_readers(previous.collection, dict.fromkeys([previous.document_id, *attachments], readers))
            status = FileOutcomeStatus.PERMISSIONS_CHANGED
        return FileOutcome(
            source=previous.source,
            status=status,
            chunks=previous.chunk_count,
            document_id=previous.document_id,
            kind=previous.kind,
        )

    def set_readers(self, collection: str, readers: dict[str, tuple[str, ...]]) -> None:
        """New readers for stored documents: chunk metadata in the store, the lexical index's rows, the ledger.
        The ledger goes last: a run that dies before it leaves the old readers there, and the next run redoes it."""
        with _writing(f"the readers of {len(readers)} documents"):
            self.store.set_readers(collection, readers)
            self.lexical.set_readers(collection, readers)
            self.ledger.set_readers(collection, readers)

    def record_legacy_readers(self) -> None:
        """Documents stored before readers were recorded were read by every key of their collection: record
        them as readable by ``everyone``, so that they stay so with permissions enforced (metadata only)."""
        by_collection: dict[str, dict[str, tuple[str, ...]]] = {}
        for entry in self.ledger.without_readers():
            by_collection.setdefault(entry.collection, {})[entry.document_id] = (EVERYONE,)
        for collection, readers in by_collection.items():
            self.set_readers(collection, readers)

    def fail(
        self,
        collection: str,
        *,
        document_id: str,
        root: str,
        source: str,
        path: str,
        content_hash: str,
        reason: str,
        kind: str | None = None,
        readers: tuple[str, ...] | None = None,
    ) -> FileOutcome:
        """Record that a file cannot be indexed as it now is, and drop the chunks of its earlier version. Its
        ``readers`` when they are known: who may see its name and reason in the documents list."""
        self.delete_chunks(collection, document_id)
        self.ledger.record(
            LedgerRecord(
                collection=collection,
                document_id=document_id,
                root=root,
                source=source,
                path=path,
                content_hash=content_hash,
                pipeline=PIPELINE_VERSION,
                status=DocumentStatus.FAILED,
                kind=kind,
                reason=reason,
                readers=readers,
            )
        )
        return FileOutcome(
            source=source, status=FileOutcomeStatus.FAILED, reason=reason, document_id=document_id, kind=kind
        )

    def fail_admitted(self, collection: str, item: AdmittedDocument, reason: str) -> FileOutcome:
        return self.fail(
            collection,
            document_id=item.document_id,
            root=item.root,
            source=item.source,
            path=item.path,
            content_hash=item.content_hash,
            reason=reason,
            kind=item.prepared.kind or None,
            readers=item.readers,
        )

    def delete_chunks(self, collection: str, document_id: str) -> int:
        removed = self.store.delete_document(collection, document_id)
        self.lexical.delete_document(collection, document_id)
        return removed

    def forget(self, entry: LedgerEntry) -> FileOutcome:
        """Remove a document (a file gone from the folder, an attachment gone from its message)."""
        removed = self.delete_chunks(entry.collection, entry.document_id)
        self.ledger.remove(entry.collection, entry.document_id)
        return FileOutcome(
            source=entry.source, status=FileOutcomeStatus.FORGOTTEN, chunks=removed, document_id=entry.document_id
        )

    def forget_dropped_attachments(
        self,
        collection: str,
        path: str,
        prefix: str,
        kept: Set[str] = frozenset(),
        kept_under: Sequence[str] = (),
    ) -> list[FileOutcome]:
        """Forget the attachments of the message at ``path`` (their sources start with ``prefix``, the message's
        source and the separator) but those in ``kept`` and those below a source of ``kept_under``."""
        return [
            self.forget(entry)
            for entry in self.ledger.entries_under(collection, path)
            if entry.source.startswith(prefix)
            and entry.source not in kept
            and not entry.source.startswith(tuple(kept_under))
        ]

    def compact(self) -> None:
        """Leave no bytes of forgotten text in the ledger's or the lexical index's free pages."""
        self.ledger.compact()
        self.lexical.compact()


def _record(collection: str, item: AdmittedDocument, status: DocumentStatus) -> LedgerRecord:
    return LedgerRecord(
        collection=collection,
        document_id=item.document_id,
        root=item.root,
        source=item.source,
        path=item.path,
        content_hash=item.content_hash,
        pipeline=PIPELINE_VERSION,
        status=status,
        kind=item.prepared.kind,
        pages=item.prepared.pages,
        chunk_count=len(item.prepared.chunks),
        redactions=dict(item.prepared.redactions),
        readers=item.readers,
    )


@contextmanager
def _writing(source: str) -> Iterator[None]:
    """A full disk or an unwritable data dir stops the run as a ``StoreError``: one line, not a traceback."""
    try:
        yield
    except StoreError:
        raise
    except (sqlite3.Error, OSError) as exc:
        reason = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else str(exc)
        raise StoreError(f"cannot write {source} to the data dir or the store", cause=reason) from exc
