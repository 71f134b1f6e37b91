"""Batch ingestion: files in, an executor prepares them (load -> redact -> chunk -> embed), one writer stores them.

This process reads each file under the limits, skips it when the ledger says it is unchanged (recording new
readers if they changed), and hands the others in batches to the executor (``ingest/executors/``): in this
process, in worker processes, or on a Dask cluster. What comes back is stored by the one writer
(``ingest/writer.py``) in the ledger's order, so a crash costs at most the batches in flight.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from ingest.admission import ATTACHMENT_SEPARATOR, AdmittedDocument, document_id_for, read_source_file
from ingest.discovery import SourceFile, discover
from ingest.ledger import Ledger, LedgerEntry
from ingest.outcomes import FileOutcome, IngestReport
from ingest.permissions import FileSystemReaders, ReaderPolicy
from ingest.preparation import timed
from ingest.writer import DocumentWriter
from rag.access import EVERYONE, parse_principals
from rag.errors import UnsupportedDocumentError
from rag.lexical import LexicalIndex
from rag.protocols import PrepareExecutor, VectorStore
from rag.types import DocumentStatus, FileOutcomeStatus, FileToPrepare, PreparedBatch, PreparedDocument

__all__ = ["IngestionPipeline"]

# Bytes of files in one batch, so that the batches in flight hold a bounded amount (a larger file goes alone).
BATCH_BYTES = 32 * 1024 * 1024


@dataclass
class _Admitted:
    """A changed or new file on its way to the prepare step: what the writer will need to store it."""

    file: FileToPrepare
    path: str
    status: FileOutcomeStatus
    readers: tuple[str, ...]


class IngestionPipeline:
    def __init__(
        self,
        *,
        executor: PrepareExecutor,
        store: VectorStore,
        lexical: LexicalIndex,
        ledger: Ledger,
        max_file_bytes: int,
        group_documents: int = 16,
    ) -> None:
        self.executor = executor
        self.writer = DocumentWriter(store, lexical, ledger)
        self._max_file_bytes = max_file_bytes
        # Files prepared together: redaction and embedding pay off on batches, and a batch is what a crash
        # can cost to redo (nothing of it is stored until it is written, all in one go).
        self._group_documents = max(1, group_documents)

    @property
    def store(self) -> VectorStore:
        return self.writer.store

    @property
    def lexical(self) -> LexicalIndex:
        return self.writer.lexical

    @property
    def ledger(self) -> Ledger:
        return self.writer.ledger

    def ingest_paths(
        self,
        paths: Sequence[Path],
        collection: str,
        *,
        prune: bool = False,
        on_start: Callable[[int], None] | None = None,
        on_file: Callable[[FileOutcome], None] | None = None,
        readers: ReaderPolicy | None = None,
    ) -> IngestReport:
        """Ingest the files under ``paths``; each file's readers come from ``readers`` (default: the file
        system's permissions)."""
        started = time.perf_counter()
        policy = readers or FileSystemReaders()
        self.writer.record_legacy_readers()
        report = IngestReport(collection=collection, workers=self.executor.workers)
        files = discover(paths)
        if on_start:
            on_start(len(files))

        def admitted() -> Iterator[FileOutcome | _Admitted]:
            for source_file in files:
                yield from self._admit_file(source_file, collection, policy, report.stage_seconds)

        self._run(admitted(), collection, report, on_file)
        if prune:
            roots = {str(Path(p).absolute()) for p in paths if Path(p).is_dir()}
            seen = {str(f.path) for f in files}
            for entry in self.ledger.entries(collection=collection):
                if entry.root in roots and entry.path not in seen:
                    report.outcomes.append(self.writer.forget(entry))
        report.elapsed_seconds = time.perf_counter() - started
        return report

    def ingest_file(self, source_file: SourceFile, collection: str, readers: ReaderPolicy | None = None) -> FileOutcome:
        """Ingest one file (and its attachments); the file's own outcome."""
        report = IngestReport(collection=collection)
        items = self._admit_file(source_file, collection, readers or FileSystemReaders(), report.stage_seconds)
        return self._run(items, collection, report)[0]

    def ingest_bytes(
        self,
        data: bytes,
        *,
        collection: str,
        root: str,
        source: str,
        path: str,
        readers: Sequence[str] = (EVERYONE,),
    ) -> FileOutcome:
        """Ingest one document's bytes (and its attachments), readable by ``readers``; a bad document is recorded
        as failed, never raised. The document's own outcome."""
        item = self._admit_bytes(FileToPrepare(root, source, data), collection, path, parse_principals(readers))
        return self._run([item], collection, IngestReport(collection=collection))[0]

    def forget_paths(self, paths: Sequence[Path], collection: str) -> list[FileOutcome]:
        outcomes: list[FileOutcome] = []
        for path in paths:
            for entry in self.ledger.entries_under(collection, str(Path(path).absolute())):
                outcomes.append(self.writer.forget(entry))
        if outcomes:
            self.writer.compact()
        return outcomes

    def forget_document(self, collection: str, document_id: str) -> FileOutcome | None:
        entry = self.ledger.get(collection, document_id)
        if entry is None:
            return None
        outcome = self.writer.forget(entry)
        # A message's attachments are documents of their own: erasing the message erases them too.
        self.writer.forget_dropped_attachments(collection, entry.path, f"{entry.source}{ATTACHMENT_SEPARATOR}")
        self.writer.compact()
        return outcome

    def _admit_file(
        self, source_file: SourceFile, collection: str, policy: ReaderPolicy, timings: dict[str, float]
    ) -> list[FileOutcome | _Admitted]:
        """The file's bytes for the prepare step; or its outcome already (unchanged, or unreadable)."""
        with timed(timings, "load"):
            try:
                data = read_source_file(source_file, self._max_file_bytes)
                readers = policy.readers_of(source_file)
            except UnsupportedDocumentError as exc:
                root, source, path = str(source_file.root), source_file.source, str(source_file.path)
                failed = self.writer.fail(
                    collection,
                    document_id=document_id_for(root, source),
                    root=root,
                    source=source,
                    path=path,
                    content_hash="",
                    reason=exc.detail,
                )
                # Attachments of an earlier version must not answer for a message that can no longer be read.
                prefix = f"{source}{ATTACHMENT_SEPARATOR}"
                return [failed, *self.writer.forget_dropped_attachments(collection, path, prefix)]
            file = FileToPrepare(str(source_file.root), source_file.source, data)
            return [self._admit_bytes(file, collection, str(source_file.path), readers)]

    def _admit_bytes(
        self, file: FileToPrepare, collection: str, path: str, readers: tuple[str, ...]
    ) -> FileOutcome | _Admitted:
        previous = self.ledger.get(collection, document_id_for(file.root, file.source))
        unchanged = self.writer.keep_unchanged(previous, hashlib.sha256(file.data).hexdigest(), readers)
        return unchanged or _Admitted(file, path, _status(previous), readers)

    def _run(
        self,
        items: Iterable[FileOutcome | _Admitted],
        collection: str,
        report: IngestReport,
        on_file: Callable[[FileOutcome], None] | None = None,
    ) -> list[FileOutcome]:
        """Hand the admitted files to the executor in batches and store each batch as it comes back; the
        outcomes, also added to ``report``."""

        def record(outcome: FileOutcome) -> None:
            report.outcomes.append(outcome)
            if on_file:
                on_file(outcome)

        sent: list[list[_Admitted]] = []  # by the executor's batch index; emptied once written

        def batches() -> Iterator[list[FileToPrepare]]:
            batch: list[_Admitted] = []
            for item in chain(items, [None]):  # None: the end, where the last batch goes
                if isinstance(item, FileOutcome):
                    record(item)
                    continue
                if item is not None:
                    batch.append(item)
                full = len(batch) >= self._group_documents or sum(len(a.file.data) for a in batch) >= BATCH_BYTES
                if batch and (full or item is None):
                    sent.append(batch)
                    yield [admitted.file for admitted in batch]
                    batch = []

        first = len(report.outcomes)
        for index, prepared in self.executor.prepare(batches()):
            batch, sent[index] = sent[index], []
            for outcome in self._write(collection, batch, prepared, report):
                record(outcome)
        return report.outcomes[first:]

    def _write(
        self, collection: str, batch: Sequence[_Admitted], prepared: PreparedBatch, report: IngestReport
    ) -> list[FileOutcome]:
        """Store a prepared batch: each file, then its attachments (an unchanged one kept as it is), and forget
        the attachments its message no longer carries."""
        for stage, seconds in prepared.seconds.items():
            report.stage_seconds[stage] = report.stage_seconds.get(stage, 0.0) + seconds
        if self.executor.workers:
            report.worker_seconds += sum(prepared.seconds.values())
        items: list[FileOutcome | AdmittedDocument] = []
        for admitted, documents in zip(batch, prepared.files, strict=True):
            top, *attachments = documents
            file = admitted.file
            items.append(self._document(collection, admitted, top, admitted.status))
            unchanged_under: list[str] = []  # what an unchanged attachment carries is kept as it is, unreported
            for document in attachments:
                if document.source.startswith(tuple(unchanged_under)):
                    continue
                previous = self.ledger.get(collection, document_id_for(file.root, document.source))
                unchanged = self.writer.keep_unchanged(previous, document.content_hash, admitted.readers)
                if unchanged is not None:
                    unchanged_under.append(f"{document.source}{ATTACHMENT_SEPARATOR}")
                items.append(unchanged or self._document(collection, admitted, document, _status(previous)))
            kept = {item.source for item in items}
            prefix = f"{file.source}{ATTACHMENT_SEPARATOR}"
            items += self.writer.forget_dropped_attachments(collection, admitted.path, prefix, kept, unchanged_under)
        ready = [item for item in items if isinstance(item, AdmittedDocument)]
        written = self.writer.write(collection, ready, report.stage_seconds) if ready else {}
        return [item if isinstance(item, FileOutcome) else written[item.document_id] for item in items]

    def _document(
        self, collection: str, admitted: _Admitted, document: PreparedDocument, status: FileOutcomeStatus
    ) -> FileOutcome | AdmittedDocument:
        """A prepared document ready for the writer; a failed one recorded as failed."""
        item = AdmittedDocument(
            document_id=document_id_for(admitted.file.root, document.source),
            root=admitted.file.root,
            path=admitted.path,
            status=status,
            readers=admitted.readers,
            prepared=document,
        )
        if document.failure is not None:
            return self.writer.fail_admitted(collection, item, document.failure)
        return item


def _status(previous: LedgerEntry | None) -> FileOutcomeStatus:
    """New, or changed when the ledger held an earlier version that was stored (a failed one counts as new)."""
    stored = previous is not None and previous.status is not DocumentStatus.FAILED
    return FileOutcomeStatus.CHANGED if stored else FileOutcomeStatus.NEW
