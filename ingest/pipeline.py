"""The batch ingestion pipeline: load -> redact -> chunk -> embed -> store, recorded in the ledger.

Documents go through in groups. With ingestion workers (``IngestWorkers``) the stages overlap: the
workers redact the next groups while this process loads, chunks, embeds and stores the groups already
redacted, each stage on its own cores. Nothing of a group is stored before its every stage is done, so a
crash costs at most the groups in flight. ``admission`` lets files in, ``preparation`` redacts, chunks and
embeds, ``writer`` stores; this module schedules the groups between them.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.admission import (
    ATTACHMENT_SEPARATOR,
    AdmittedDocument,
    document_id_for,
    read_source_file,
)
from ingest.chunker import Chunker
from ingest.discovery import SourceFile, discover
from ingest.ledger import Ledger
from ingest.loading import PdfLimits, load_bytes
from ingest.outcomes import STAGES, FileOutcome, IngestReport
from ingest.permissions import FileSystemReaders, ReaderPolicy
from ingest.preparation import (
    GroupPreparer,
    PreparedGroup,
    RedactionJob,
    log_group_failure,
    timed,
    unexpected_reason,
)
from ingest.worker_pool import IngestWorkers
from ingest.writer import DocumentWriter
from rag.access import EVERYONE, parse_principals
from rag.errors import UnsupportedDocumentError
from rag.lexical import LexicalIndex
from rag.protocols import Embedder, Redactor, VectorStore
from rag.types import DocumentStatus, FileOutcomeStatus

__all__ = ["IngestionPipeline"]

logger = logging.getLogger(__name__)
# An attachment may carry attachments (a message forwarded as an attachment): followed this deep, no deeper.
MAX_ATTACHMENT_DEPTH = 2


class IngestionPipeline:
    def __init__(
        self,
        *,
        redactor: Redactor,
        chunker: Chunker,
        embedder: Embedder,
        store: VectorStore,
        lexical: LexicalIndex,
        ledger: Ledger,
        max_file_bytes: int,
        max_pdf_pages: int,
        pdf_limits: PdfLimits | None = None,
        group_documents: int = 16,
        group_pages: int = 64,
        workers: IngestWorkers | None = None,
    ) -> None:
        self._preparer = GroupPreparer(redactor, chunker, embedder)
        self._writer = DocumentWriter(store, lexical, ledger)
        self._workers = workers if workers is not None and workers.size else None
        # Groups in flight: four per worker, so that a worker never waits for this process, and so that a group a
        # worker prepares entirely (twice its redaction time) has groups before it to keep this process busy.
        self._groups_ahead = 4 * self._workers.size if self._workers else 0
        self._max_file_bytes = max_file_bytes
        self._max_pdf_pages = max_pdf_pages
        self._pdf_limits = pdf_limits or PdfLimits()
        # Documents redacted and embedded together: batches pay off, and a group is what a crash can
        # cost to redo (nothing of it is stored until its documents are written, all in one batch).
        self._group_documents = max(1, group_documents)
        self._group_pages = max(1, group_pages)

    @property
    def store(self) -> VectorStore:
        return self._writer.store

    @property
    def lexical(self) -> LexicalIndex:
        return self._writer.lexical

    @property
    def writer(self) -> DocumentWriter:
        return self._writer

    @property
    def ledger(self) -> Ledger:
        return self._writer.ledger

    # -- batch entry points -------------------------------------------------------------------

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
        self._writer.record_legacy_readers()
        report = IngestReport(collection=collection, workers=self._workers.size if self._workers else 0)
        if self._workers is not None:
            self._workers.start_run()
        files = discover(paths)
        if on_start:
            on_start(len(files))
        group: list[FileOutcome | AdmittedDocument] = []
        group_pages = 0
        in_flight: deque[_Group] = deque()

        def finish_oldest() -> None:
            if self._workers is not None:
                self._workers.redact_while_waiting(in_flight[0].job, [group.job for group in list(in_flight)[1:]])
            for outcome in self._finish(in_flight.popleft(), collection, report):
                report.outcomes.append(outcome)
                if on_file:
                    on_file(outcome)

        def flush() -> None:
            nonlocal group
            nonlocal group_pages
            if group:
                in_flight.append(self._start(group))
            group, group_pages = [], 0
            while len(in_flight) > self._groups_ahead:
                finish_oldest()

        for source_file in files:
            for admitted in self._admit_file(source_file, collection, report.stage_seconds, policy):
                group.append(admitted)
                if isinstance(admitted, AdmittedDocument):
                    group_pages += len(admitted.document.pages)
            if len(group) >= self._group_documents or group_pages >= self._group_pages:
                flush()
        flush()
        while in_flight:
            finish_oldest()
        if prune:
            roots = {str(Path(p).absolute()) for p in paths if Path(p).is_dir()}
            seen = {str(f.path) for f in files}
            for entry in self.ledger.entries(collection=collection):
                if entry.root in roots and entry.path not in seen:
                    report.outcomes.append(self._writer.forget(entry))
        report.elapsed_seconds = time.perf_counter() - started
        return report

    def forget_paths(self, paths: Sequence[Path], collection: str) -> list[FileOutcome]:
        outcomes: list[FileOutcome] = []
        for path in paths:
            for entry in self.ledger.entries_under(collection, str(Path(path).absolute())):
                outcomes.append(self._writer.forget(entry))
        if outcomes:
            self._writer.compact()
        return outcomes

    def forget_document(self, collection: str, document_id: str) -> FileOutcome | None:
        entry = self.ledger.get(collection, document_id)
        if entry is None:
            return None
        outcome = self._writer.forget(entry)
        # A message's attachments are documents of their own: erasing the message erases them too.
        self._writer.forget_dropped_attachments(collection, entry.path, f"{entry.source}{ATTACHMENT_SEPARATOR}")
        self._writer.compact()
        return outcome

    # -- one file -----------------------------------------------------------------------------

    def ingest_file(
        self,
        source_file: SourceFile,
        collection: str,
        stage_seconds: dict[str, float] | None = None,
        readers: ReaderPolicy | None = None,
    ) -> FileOutcome:
        """Ingest one file (and its attachments); the file's own outcome."""
        timings = stage_seconds if stage_seconds is not None else dict.fromkeys(STAGES, 0.0)
        admitted = self._admit_file(source_file, collection, timings, readers or FileSystemReaders())
        return self._process(admitted, collection, timings)[0]

    def ingest_bytes(
        self,
        data: bytes,
        *,
        collection: str,
        root: str,
        source: str,
        path: str,
        stage_seconds: dict[str, float] | None = None,
        readers: Sequence[str] = (EVERYONE,),
    ) -> FileOutcome:
        """Ingest one document's bytes (and its attachments), readable by ``readers``; a bad document is recorded
        as failed, never raised. The document's own outcome."""
        timings = stage_seconds if stage_seconds is not None else dict.fromkeys(STAGES, 0.0)
        readable = parse_principals(readers)
        admitted = self._admit_bytes(
            data, collection=collection, root=root, source=source, path=path, timings=timings, readers=readable
        )
        return self._process(admitted, collection, timings)[0]

    # -- stages -------------------------------------------------------------------------------

    def _admit_file(
        self, source_file: SourceFile, collection: str, timings: dict[str, float], policy: ReaderPolicy
    ) -> list[FileOutcome | AdmittedDocument]:
        with timed(timings, "load"):
            try:
                data = read_source_file(source_file, self._max_file_bytes)
                readers = policy.readers_of(source_file)
            except UnsupportedDocumentError as exc:
                failed = self._writer.fail(
                    collection,
                    document_id=document_id_for(str(source_file.root), source_file.source),
                    root=str(source_file.root),
                    source=source_file.source,
                    path=str(source_file.path),
                    content_hash="",
                    reason=exc.detail,
                )
                # Attachments of an earlier version must not answer for a message that can no longer be read.
                prefix = f"{source_file.source}{ATTACHMENT_SEPARATOR}"
                return [failed, *self._writer.forget_dropped_attachments(collection, str(source_file.path), prefix)]
        return self._admit_bytes(
            data,
            collection=collection,
            root=str(source_file.root),
            source=source_file.source,
            path=str(source_file.path),
            timings=timings,
            readers=readers,
        )

    def _admit_bytes(
        self,
        data: bytes,
        *,
        collection: str,
        root: str,
        source: str,
        path: str,
        timings: dict[str, float],
        readers: tuple[str, ...],
        depth: int = 0,
    ) -> list[FileOutcome | AdmittedDocument]:
        """Skip an unchanged document (recording new readers if they changed), or load it; what is loaded goes on
        to the batched stages, followed by its attachments, each a document of its own (``message.msg ›
        contract.docx``) with the message's readers."""
        document_id = document_id_for(root, source)
        content_hash = hashlib.sha256(data).hexdigest()
        previous = self.ledger.get(collection, document_id)
        if (unchanged := self._writer.keep_unchanged(previous, content_hash, readers)) is not None:
            return [unchanged]
        status = (
            FileOutcomeStatus.CHANGED
            if previous is not None and previous.status is not DocumentStatus.FAILED
            else FileOutcomeStatus.NEW
        )
        admitted = AdmittedDocument(
            document_id=document_id,
            root=root,
            source=source,
            path=path,
            content_hash=content_hash,
            status=status,
            readers=readers,
        )
        items: list[FileOutcome | AdmittedDocument] = []
        try:
            with timed(timings, "load"):
                admitted.document = load_bytes(data, source, self._max_pdf_pages, self._pdf_limits)
            items.append(admitted)
        except UnsupportedDocumentError as exc:
            if exc.cause:  # a library's own words, which may quote the file's content: not at INFO
                logger.debug("%s: %s (%s)", source, exc.detail, exc.cause)
            items.append(self._writer.fail_admitted(collection, admitted, exc.detail))
        except Exception as exc:  # a parser choking on one file must not stop the batch
            items.append(self._writer.fail_admitted(collection, admitted, unexpected_reason(exc, source)))
        attachments = admitted.document.attachments
        # Their bytes are admitted below; the group in flight need not hold them until it is written.
        admitted.document = replace(admitted.document, attachments=[])
        if depth < MAX_ATTACHMENT_DEPTH:
            for attachment in attachments:
                items += self._admit_bytes(
                    attachment.data,
                    collection=collection,
                    root=root,
                    source=f"{source}{ATTACHMENT_SEPARATOR}{attachment.name}",
                    path=path,
                    timings=timings,
                    readers=readers,
                    depth=depth + 1,
                )
        if depth == 0:
            kept = {item.source for item in items}
            # An unchanged attachment is skipped unopened: what it carries is kept as it is.
            kept_under = tuple(
                f"{item.source}{ATTACHMENT_SEPARATOR}"
                for item in items
                if isinstance(item, FileOutcome) and item.status.unchanged
            )
            prefix = f"{source}{ATTACHMENT_SEPARATOR}"
            items += self._writer.forget_dropped_attachments(collection, path, prefix, kept, kept_under)
        return items

    def _process(
        self, group: Sequence[FileOutcome | AdmittedDocument], collection: str, timings: dict[str, float]
    ) -> list[FileOutcome]:
        report = IngestReport(collection=collection, stage_seconds=timings)
        return self._finish(self._start(group), collection, report)

    def _start(self, group: Sequence[FileOutcome | AdmittedDocument]) -> _Group:
        """Start redacting the loaded documents of ``group``: in a worker when one can take it."""
        loaded = [item for item in group if isinstance(item, AdmittedDocument)]
        works = [item.work() for item in loaded]
        if self._workers is not None and works:
            job = self._workers.submit(works, self._preparer.redact)
        else:
            job = RedactionJob(works, self._preparer.redact)
        return _Group(items=list(group), loaded=loaded, job=job)

    def _finish(self, group: _Group, collection: str, report: IngestReport) -> list[FileOutcome]:
        """Once the group is prepared (redacted, chunked, embedded), store its documents together."""
        if group.loaded:
            self._take_prepared(group.loaded, group.job, report)
        ready = [item for item in group.loaded if item.failure is None]
        written = self._writer.write(collection, ready, report.stage_seconds) if ready else {}
        outcomes: list[FileOutcome] = []
        for item in group.items:
            if isinstance(item, FileOutcome):
                outcomes.append(item)
            elif item.failure is not None:
                outcomes.append(self._writer.fail_admitted(collection, item, item.failure))
            else:
                outcomes.append(written[item.document_id])
        return outcomes

    def _take_prepared(self, group: Sequence[AdmittedDocument], job: RedactionJob, report: IngestReport) -> None:
        waited = time.perf_counter()
        try:
            redacted = job.result()
        except Exception as exc:
            if len(group) == 1:
                group[0].failure = unexpected_reason(exc, group[0].source)
                return
            # One document broke the group's redaction: redo them one by one so that only that one fails. The
            # retry would hide what went wrong (each document may then redact fine), so the error is logged first.
            log_group_failure("redaction", [item.source for item in group], exc)
            for item in group:
                self._take_prepared([item], RedactionJob([item.work()], self._preparer.redact), report)
            return
        waited = time.perf_counter() - waited
        if isinstance(redacted, PreparedGroup):  # a worker chunked and embedded it too
            prepared = redacted
            report.worker_seconds += sum(prepared.seconds.values())
        else:
            if not job.ran_here:
                report.worker_seconds += redacted.seconds
            prepared = self._preparer.finish(job.works, redacted)
        if self._workers is not None:
            caller = sum(report.stage_seconds.get(stage, 0.0) for stage in ("load", "store"))
            self._workers.record(job, prepared, caller)
        if not job.ran_here:  # a worker's time: this process only waited for it, if at all
            report.worker_wait_seconds += waited
        _add_seconds(report.stage_seconds, prepared)
        for item, document in zip(group, prepared.documents, strict=True):
            item.chunks, item.redactions = document.chunks, document.redactions
            item.embeddings, item.failure = document.embeddings, document.failure


@dataclass
class _Group:
    """Files of one group on their way: the outcomes known already and the loaded documents, being prepared."""

    items: list[FileOutcome | AdmittedDocument]
    loaded: list[AdmittedDocument]
    job: RedactionJob


def _add_seconds(timings: dict[str, float], prepared: PreparedGroup) -> None:
    for stage, seconds in prepared.seconds.items():
        timings[stage] = timings.get(stage, 0.0) + seconds
