"""The batch ingestion pipeline: load -> redact -> chunk -> embed -> store, recorded in the ledger.

Documents go through in groups. With ingestion workers (``IngestWorkers``) the stages overlap: the
workers redact the next groups while this process loads, chunks, embeds and stores the groups already
redacted, each stage on its own cores. Nothing of a group is stored before its every stage is done, so a
crash costs at most the groups in flight.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import stat
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ingest.chunker import Chunker
from ingest.discovery import SourceFile, discover
from ingest.ledger import Ledger, LedgerEntry, LedgerRecord
from ingest.loading import PdfLimits, load_bytes
from ingest.preparation import (
    PREPARATION_STAGES,
    DocumentWork,
    GroupPreparer,
    PreparedGroup,
    RedactionJob,
    chunk_id_for,
    log_group_failure,
    placeholder_counts,
    timed,
    unexpected_reason,
)
from ingest.worker_pool import IngestWorkers
from rag import PIPELINE_VERSION
from rag.errors import StoreError, UnsupportedDocumentError
from rag.lexical import LexicalIndex
from rag.protocols import Embedder, Redactor, VectorStore
from rag.types import Chunk, LoadedDocument

__all__ = ["FileOutcome", "IngestReport", "IngestionPipeline", "chunk_id_for", "document_id_for", "placeholder_counts"]

logger = logging.getLogger(__name__)
STAGES = ("load", *PREPARATION_STAGES, "store")


@dataclass
class FileOutcome:
    source: str
    status: str  # new, changed, skipped, failed, forgotten
    chunks: int = 0
    pages: int = 0
    reason: str | None = None
    redactions: Counter[str] = field(default_factory=Counter)
    document_id: str | None = None


@dataclass
class IngestReport:
    collection: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    # Seconds each stage was busy, summed over the processes it ran in: with ingestion workers, redact,
    # chunk and embed ran in them, beside each other and beside this process's load and store.
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    elapsed_seconds: float = 0.0
    # Of the stage seconds, those spent in ingestion workers; and the seconds this process waited for them.
    worker_seconds: float = 0.0
    worker_wait_seconds: float = 0.0
    workers: int = 0

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def chunks_written(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status in ("new", "changed"))

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes if o.status in ("new", "changed"))

    @property
    def redactions(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for outcome in self.outcomes:
            total.update(outcome.redactions)
        return total

    @property
    def failures(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def to_dict(self) -> dict[str, object]:
        return {
            "collection": self.collection,
            "files": {status: self.count(status) for status in ("new", "changed", "skipped", "failed", "forgotten")},
            "chunks_written": self.chunks_written,
            "pages": self.pages,
            "redactions": dict(sorted(self.redactions.items())),
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "workers": self.workers,
            "worker_seconds": round(self.worker_seconds, 3),
            "worker_wait_seconds": round(self.worker_wait_seconds, 3),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "failures": [{"source": o.source, "reason": o.reason} for o in self.failures],
        }


def document_id_for(root: str, source: str) -> str:
    """Stable id of a document: where it comes from, not what it holds (so changes replace it)."""
    return hashlib.sha256(f"{root}\x00{source}".encode()).hexdigest()[:32]


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
        self._workers = workers if workers is not None and workers.size else None
        # Groups in flight: four per worker, so that a worker never waits for this process, and so that a group a
        # worker prepares entirely (twice its redaction time) has groups before it to keep this process busy.
        self._groups_ahead = 4 * self._workers.size if self._workers else 0
        self._store = store
        self._lexical = lexical
        self._ledger = ledger
        self._max_file_bytes = max_file_bytes
        self._max_pdf_pages = max_pdf_pages
        self._pdf_limits = pdf_limits or PdfLimits()
        # Documents redacted and embedded together: batches pay off, and a group is what a crash can
        # cost to redo (nothing of it is stored until its documents are written, all in one batch).
        self._group_documents = max(1, group_documents)
        self._group_pages = max(1, group_pages)

    @property
    def store(self) -> VectorStore:
        return self._store

    @property
    def lexical(self) -> LexicalIndex:
        return self._lexical

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    # -- batch entry points -------------------------------------------------------------------

    def ingest_paths(
        self,
        paths: Sequence[Path],
        collection: str,
        *,
        prune: bool = False,
        on_start: Callable[[int], None] | None = None,
        on_file: Callable[[FileOutcome], None] | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport(collection=collection, workers=self._workers.size if self._workers else 0)
        if self._workers is not None:
            self._workers.start_run()
        files = discover(paths)
        if on_start:
            on_start(len(files))
        group: list[FileOutcome | _Admitted] = []
        group_pages = 0
        in_flight: deque[_Group] = deque()

        def finish_oldest() -> None:
            if self._workers is not None:
                _redact_while_waiting(in_flight, self._workers)
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
            admitted = self._admit_file(source_file, collection, report.stage_seconds)
            group.append(admitted)
            if isinstance(admitted, _Admitted):
                group_pages += len(admitted.document.pages)
            if len(group) >= self._group_documents or group_pages >= self._group_pages:
                flush()
        flush()
        while in_flight:
            finish_oldest()
        if prune:
            roots = {str(Path(p).absolute()) for p in paths if Path(p).is_dir()}
            seen = {str(f.path) for f in files}
            for entry in self._ledger.entries(collection=collection):
                if entry.root in roots and entry.path not in seen:
                    report.outcomes.append(self._forget_entry(entry))
        report.elapsed_seconds = time.perf_counter() - started
        return report

    def forget_paths(self, paths: Sequence[Path], collection: str) -> list[FileOutcome]:
        outcomes: list[FileOutcome] = []
        for path in paths:
            for entry in self._ledger.entries_under(collection, str(Path(path).absolute())):
                outcomes.append(self._forget_entry(entry))
        if outcomes:
            self._compact()
        return outcomes

    def forget_document(self, collection: str, document_id: str) -> FileOutcome | None:
        entry = self._ledger.get(collection, document_id)
        if entry is None:
            return None
        outcome = self._forget_entry(entry)
        self._compact()
        return outcome

    # -- one file -----------------------------------------------------------------------------

    def ingest_file(
        self, source_file: SourceFile, collection: str, stage_seconds: dict[str, float] | None = None
    ) -> FileOutcome:
        timings = stage_seconds if stage_seconds is not None else dict.fromkeys(STAGES, 0.0)
        return self._process([self._admit_file(source_file, collection, timings)], collection, timings)[0]

    def ingest_bytes(
        self,
        data: bytes,
        *,
        collection: str,
        root: str,
        source: str,
        path: str,
        stage_seconds: dict[str, float] | None = None,
    ) -> FileOutcome:
        """Ingest one document's bytes; a bad document is recorded as failed, never raised."""
        timings = stage_seconds if stage_seconds is not None else dict.fromkeys(STAGES, 0.0)
        admitted = self._admit_bytes(data, collection=collection, root=root, source=source, path=path, timings=timings)
        return self._process([admitted], collection, timings)[0]

    # -- stages -------------------------------------------------------------------------------

    def _admit_file(
        self, source_file: SourceFile, collection: str, timings: dict[str, float]
    ) -> FileOutcome | _Admitted:
        with timed(timings, "load"):
            try:
                # Checked again here: a file may have been swapped for a link out of the root since listing.
                if source_file.path.is_symlink() and not source_file.is_within_root:
                    raise UnsupportedDocumentError("a link that leads out of the ingested folder")
                status = source_file.path.stat()
                if not stat.S_ISREG(status.st_mode):
                    # Reading a named pipe blocks until a writer comes; a device may never end.
                    raise UnsupportedDocumentError("not a regular file (a named pipe, socket or device)")
                size = status.st_size
                if size > self._max_file_bytes:
                    raise UnsupportedDocumentError(
                        f"file of {size} bytes is larger than the limit of {self._max_file_bytes}"
                    )
                data = source_file.path.read_bytes()
            except OSError as exc:
                return self._fail(source_file, collection, "", f"cannot read file: {exc.strerror or exc}")
            except UnsupportedDocumentError as exc:
                return self._fail(source_file, collection, "", exc.detail)
        return self._admit_bytes(
            data,
            collection=collection,
            root=str(source_file.root),
            source=source_file.source,
            path=str(source_file.path),
            timings=timings,
        )

    def _admit_bytes(
        self, data: bytes, *, collection: str, root: str, source: str, path: str, timings: dict[str, float]
    ) -> FileOutcome | _Admitted:
        """Skip an unchanged document, or load it; what is loaded goes on to the batched stages."""
        document_id = document_id_for(root, source)
        content_hash = hashlib.sha256(data).hexdigest()
        previous = self._ledger.get(collection, document_id)
        if (
            previous is not None
            and previous.status == "done"
            and previous.content_hash == content_hash
            and previous.pipeline == PIPELINE_VERSION
        ):
            return FileOutcome(source=source, status="skipped", chunks=previous.chunk_count, document_id=document_id)
        status = "changed" if previous is not None and previous.status != "failed" else "new"
        admitted = _Admitted(
            document_id=document_id, root=root, source=source, path=path, content_hash=content_hash, status=status
        )
        try:
            with timed(timings, "load"):
                admitted.document = load_bytes(data, source, self._max_pdf_pages, self._pdf_limits)
        except UnsupportedDocumentError as exc:
            if exc.cause:
                logger.info("%s: %s (%s)", source, exc.detail, exc.cause)
            return self._fail_admitted(collection, admitted, exc.detail)
        except Exception as exc:  # a parser choking on one file must not stop the batch
            return self._fail_admitted(collection, admitted, _unexpected(exc, source))
        return admitted

    def _process(
        self, group: Sequence[FileOutcome | _Admitted], collection: str, timings: dict[str, float]
    ) -> list[FileOutcome]:
        report = IngestReport(collection=collection, stage_seconds=timings)
        return self._finish(self._start(group), collection, report)

    def _start(self, group: Sequence[FileOutcome | _Admitted]) -> _Group:
        """Start redacting the loaded documents of ``group``: in a worker when one can take it."""
        loaded = [item for item in group if isinstance(item, _Admitted)]
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
        written = self._write(collection, ready, report.stage_seconds) if ready else {}
        outcomes: list[FileOutcome] = []
        for item in group.items:
            if isinstance(item, FileOutcome):
                outcomes.append(item)
            elif item.failure is not None:
                outcomes.append(self._fail_admitted(collection, item, item.failure))
            else:
                outcomes.append(written[item.document_id])
        return outcomes

    def _take_prepared(self, group: Sequence[_Admitted], job: RedactionJob, report: IngestReport) -> None:
        waited = time.perf_counter()
        try:
            redacted = job.result()
        except Exception as exc:
            if len(group) == 1:
                group[0].failure = _unexpected(exc, group[0].source)
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

    def _write(self, collection: str, items: Sequence[_Admitted], timings: dict[str, float]) -> dict[str, FileOutcome]:
        """Store the chunks of ``items`` together: the vector store takes a batch far faster than many small
        ones. pending -> replace chunks -> done, for all of them at once: a crash in between leaves them
        pending, and the next run redoes them."""

        def entry(item: _Admitted, status: str) -> LedgerRecord:
            return LedgerRecord(
                collection=collection,
                document_id=item.document_id,
                root=item.root,
                source=item.source,
                path=item.path,
                content_hash=item.content_hash,
                pipeline=PIPELINE_VERSION,
                status=status,
                kind=item.document.kind,
                pages=len(item.document.pages),
                chunk_count=len(item.chunks),
                redactions=dict(item.redactions),
            )

        chunks = [chunk for item in items for chunk in item.chunks]
        vectors = np.vstack([item.embeddings for item in items if item.embeddings is not None])
        assert len(vectors) == len(chunks)
        with timed(timings, "store"), _writing(", ".join(item.source for item in items[:3])):
            self._ledger.record_many([entry(item, "pending") for item in items])
            document_ids = [item.document_id for item in items]
            self._store.delete_documents(collection, document_ids)
            self._lexical.delete_documents(collection, document_ids)
            self._store.upsert(collection, chunks, vectors)
            self._lexical.upsert(collection, chunks)
            self._ledger.record_many([entry(item, "done") for item in items])
        return {
            item.document_id: FileOutcome(
                source=item.source,
                status=item.status,
                chunks=len(item.chunks),
                pages=len(item.document.pages),
                redactions=item.redactions,
                document_id=item.document_id,
            )
            for item in items
        }

    def _fail(self, source_file: SourceFile, collection: str, content_hash: str, reason: str) -> FileOutcome:
        document_id = document_id_for(str(source_file.root), source_file.source)
        return self._fail_bytes(
            collection,
            document_id,
            str(source_file.root),
            source_file.source,
            str(source_file.path),
            content_hash,
            reason,
        )

    def _fail_admitted(self, collection: str, item: _Admitted, reason: str) -> FileOutcome:
        return self._fail_bytes(
            collection, item.document_id, item.root, item.source, item.path, item.content_hash, reason
        )

    def _fail_bytes(
        self,
        collection: str,
        document_id: str,
        root: str,
        source: str,
        path: str,
        content_hash: str,
        reason: str,
    ) -> FileOutcome:
        # The file as it now is cannot be read: chunks of an earlier version would answer for it.
        self._delete_chunks(collection, document_id)
        self._ledger.record(
            LedgerRecord(
                collection=collection,
                document_id=document_id,
                root=root,
                source=source,
                path=path,
                content_hash=content_hash,
                pipeline=PIPELINE_VERSION,
                status="failed",
                reason=reason,
            )
        )
        return FileOutcome(source=source, status="failed", reason=reason, document_id=document_id)

    def _delete_chunks(self, collection: str, document_id: str) -> int:
        removed = self._store.delete_document(collection, document_id)
        self._lexical.delete_document(collection, document_id)
        return removed

    def _compact(self) -> None:
        """Leave no bytes of forgotten text in the ledger's or the lexical index's free pages."""
        self._ledger.compact()
        self._lexical.compact()

    def _forget_entry(self, entry: LedgerEntry) -> FileOutcome:
        removed = self._delete_chunks(entry.collection, entry.document_id)
        self._ledger.remove(entry.collection, entry.document_id)
        return FileOutcome(source=entry.source, status="forgotten", chunks=removed, document_id=entry.document_id)


@dataclass
class _Group:
    """Files of one group on their way: the outcomes known already and the loaded documents, being prepared."""

    items: list[FileOutcome | _Admitted]
    loaded: list[_Admitted]
    job: RedactionJob


@dataclass
class _Admitted:
    """A loaded document on its way through the batched stages; ``failure`` once it cannot go on."""

    document_id: str
    root: str
    source: str
    path: str
    content_hash: str
    status: str
    document: LoadedDocument = field(default_factory=lambda: LoadedDocument(kind="", pages=[]))
    chunks: list[Chunk] = field(default_factory=list)
    redactions: Counter[str] = field(default_factory=Counter)
    embeddings: npt.NDArray[np.float32] | None = None
    failure: str | None = None

    def work(self) -> DocumentWork:
        return DocumentWork(
            document_id=self.document_id,
            content_hash=self.content_hash,
            source=self.source,
            kind=self.document.kind,
            pages=[(page.number, page.text) for page in self.document.pages],
        )


def _redact_while_waiting(in_flight: deque[_Group], workers: IngestWorkers) -> None:
    """While a worker still holds the oldest group, refill the workers' queue and redact here, newest first, the
    later groups no worker has been handed, rather than wait for it (at the end of a run the workers would
    otherwise hold the last groups while this process stood idle). The groups are still stored in order."""
    oldest = in_flight[0].job
    for later in list(in_flight)[:0:-1]:
        workers.hand_over()  # first: the other workers may have finished their groups meanwhile
        if not oldest.in_worker():
            return
        workers.take_back(later.job)


def _unexpected(exc: Exception, source: str) -> str:
    """Log an unexpected error with its traceback; the one-line reason recorded for the file."""
    if isinstance(exc, StoreError):
        raise exc  # the store being down is the run's failure, not the file's
    return unexpected_reason(exc, source)


def _add_seconds(timings: dict[str, float], prepared: PreparedGroup) -> None:
    for stage, seconds in prepared.seconds.items():
        timings[stage] = timings.get(stage, 0.0) + seconds


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
