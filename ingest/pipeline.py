"""The batch ingestion pipeline: load -> redact -> chunk -> embed -> store, recorded in the ledger.

Documents go through in groups. With a redactor that works in the background (``submit_documents``,
worker processes), the stages overlap: while a worker redacts the next groups, this process loads,
chunks, embeds and stores the groups already redacted. Nothing of a group is stored before its every
stage is done, so a crash costs at most the groups in flight.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import stat
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ingest.chunker import Chunker
from ingest.discovery import SourceFile, discover
from ingest.ledger import Ledger, LedgerEntry
from ingest.loaders import PdfLimits, load_bytes
from ingest.redaction_job import BackgroundRedactor, RedactionJob
from rag import PIPELINE_VERSION
from rag.errors import StoreError, UnsupportedDocumentError
from rag.lexical import LexicalIndex
from rag.protocols import Embedder, Redactor, VectorStore
from rag.types import Chunk, LoadedDocument, Redaction

logger = logging.getLogger(__name__)
STAGES = ("load", "redact", "chunk", "embed", "store")
# Groups handed to background redaction ahead of the one being embedded: one being redacted, one queued,
# so that a worker never waits for this process.
_GROUPS_AHEAD = 2
_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_\d+>")


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
    # Seconds each stage was busy, where it ran: with background redaction, "redact" is the workers' time,
    # spent while this process did the other stages.
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    elapsed_seconds: float = 0.0
    # Of the "redact" seconds, those spent in worker processes, and the seconds this process waited for them.
    redaction_background_seconds: float = 0.0
    redaction_wait_seconds: float = 0.0

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
            "redaction_background_seconds": round(self.redaction_background_seconds, 3),
            "redaction_wait_seconds": round(self.redaction_wait_seconds, 3),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "failures": [{"source": o.source, "reason": o.reason} for o in self.failures],
        }


def document_id_for(root: str, source: str) -> str:
    """Stable id of a document: where it comes from, not what it holds (so changes replace it)."""
    return hashlib.sha256(f"{root}\x00{source}".encode()).hexdigest()[:32]


def chunk_id_for(document_id: str, content_hash: str, chunk_index: int) -> str:
    """Deterministic, so re-running an upsert rewrites the same records instead of adding copies."""
    return f"{document_id[:16]}-{content_hash[:16]}-v{PIPELINE_VERSION}-{chunk_index:05d}"


def placeholder_counts(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


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
    ) -> None:
        self._redactor = redactor
        self._chunker = chunker
        self._embedder = embedder
        self._store = store
        self._lexical = lexical
        self._ledger = ledger
        self._max_file_bytes = max_file_bytes
        self._max_pdf_pages = max_pdf_pages
        self._pdf_limits = pdf_limits or PdfLimits()
        # Documents redacted and embedded together: batches pay off, and a group is what a crash can
        # cost to redo (nothing of it is stored until its documents are written one by one).
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
        report = IngestReport(collection=collection)
        files = discover(paths)
        if on_start:
            on_start(len(files))
        group: list[FileOutcome | _Admitted] = []
        group_pages = 0
        in_flight: deque[_Group] = deque()

        def finish_oldest() -> None:
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
            while len(in_flight) > _GROUPS_AHEAD:
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
        with _timed(timings, "load"):
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
            with _timed(timings, "load"):
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
        """Start redacting the loaded documents of ``group``: in the background when the redactor can."""
        loaded = [item for item in group if isinstance(item, _Admitted)]
        documents = [[page.text for page in item.document.pages] for item in loaded]
        if loaded and isinstance(self._redactor, BackgroundRedactor):
            job = self._redactor.submit_documents(documents)
        else:
            job = self._job_here(documents)
        return _Group(items=list(group), loaded=loaded, job=job)

    def _job_here(self, documents: Sequence[Sequence[str]]) -> RedactionJob:
        return RedactionJob(documents, [None] * len(documents), self._redactor.redact_documents)

    def _finish(self, group: _Group, collection: str, report: IngestReport) -> list[FileOutcome]:
        """Chunk and embed the loaded documents of ``group`` together once redacted, then store each in turn.

        Redaction and embedding run over the whole group at once (spaCy and the embedder are several
        times faster on batches); each document is still written, and recorded done, on its own.
        """
        timings = report.stage_seconds
        if group.loaded:
            self._prepare_group(group.loaded, timings, group.job, report)
        ready = [item for item in group.loaded if item.failure is None]
        written = self._write(collection, ready, timings) if ready else {}
        outcomes: list[FileOutcome] = []
        for item in group.items:
            if isinstance(item, FileOutcome):
                outcomes.append(item)
            elif item.failure is not None:
                outcomes.append(self._fail_admitted(collection, item, item.failure))
            else:
                outcomes.append(written[item.document_id])
        return outcomes

    def _prepare_group(
        self, group: Sequence[_Admitted], timings: dict[str, float], job: RedactionJob, report: IngestReport
    ) -> None:
        try:
            waited = time.perf_counter()
            redacted, busy = job.result()
            waited = time.perf_counter() - waited
            timings["redact"] = timings.get("redact", 0.0) + busy
            if not job.ran_here:  # a worker's time: this process only waited, if at all
                report.redaction_background_seconds += busy
                report.redaction_wait_seconds += waited
        except Exception as exc:
            if len(group) == 1:
                group[0].failure = _unexpected(exc, group[0].source)
                return
            # One document broke the batch: redo them one by one so that only that one fails.
            for item in group:
                self._prepare_group(
                    [item], timings, self._job_here([[page.text for page in item.document.pages]]), report
                )
            return
        for item, pages in zip(group, redacted, strict=True):
            try:
                item.chunks, item.redactions = self._chunks_of(item, pages, timings)
            except UnsupportedDocumentError as exc:
                item.failure = exc.detail
            except Exception as exc:
                item.failure = _unexpected(exc, item.source)
        ready = [item for item in group if item.failure is None]
        texts = [chunk.text for item in ready for chunk in item.chunks]
        try:
            with _timed(timings, "embed"):
                vectors = self._embedder.embed(texts)
        except Exception as exc:
            if len(ready) <= 1:
                for item in ready:
                    item.failure = _unexpected(exc, item.source)
                return
            for item in ready:
                self._embed_one(item, timings)
            return
        offset = 0
        for item in ready:
            item.embeddings = vectors[offset : offset + len(item.chunks)]
            offset += len(item.chunks)

    def _embed_one(self, item: _Admitted, timings: dict[str, float]) -> None:
        try:
            with _timed(timings, "embed"):
                item.embeddings = self._embedder.embed([chunk.text for chunk in item.chunks])
        except Exception as exc:
            item.failure = _unexpected(exc, item.source)

    def _write(self, collection: str, items: Sequence[_Admitted], timings: dict[str, float]) -> dict[str, FileOutcome]:
        """Store the chunks of ``items`` together: the vector store takes a batch far faster than many small
        ones. pending -> replace chunks -> done, for all of them at once: a crash in between leaves them
        pending, and the next run redoes them."""

        def entry(item: _Admitted, status: str) -> dict[str, object]:
            return {
                "collection": collection,
                "document_id": item.document_id,
                "root": item.root,
                "source": item.source,
                "path": item.path,
                "content_hash": item.content_hash,
                "pipeline": PIPELINE_VERSION,
                "status": status,
                "kind": item.document.kind,
                "pages": len(item.document.pages),
                "chunk_count": len(item.chunks),
                "redactions": dict(item.redactions),
            }

        chunks = [chunk for item in items for chunk in item.chunks]
        vectors = np.vstack([item.embeddings for item in items if item.embeddings is not None])
        assert len(vectors) == len(chunks)
        with _timed(timings, "store"), _writing(", ".join(item.source for item in items[:3])):
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

    def _chunks_of(
        self, item: _Admitted, redacted: Sequence[Redaction], timings: dict[str, float]
    ) -> tuple[list[Chunk], Counter[str]]:
        document, document_id, source, content_hash = item.document, item.document_id, item.source, item.content_hash
        redactions: Counter[str] = Counter()
        for redaction in redacted:
            redactions.update(redaction.counts)
        language = redacted[0].language if redacted else ""
        with _timed(timings, "chunk"):
            pieces = self._chunker.chunk_pages(
                [(page.number, r.text) for page, r in zip(document.pages, redacted, strict=True)]
            )
        if not pieces:
            raise UnsupportedDocumentError("no text to index after redaction")
        ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
        chunks = []
        for index, piece in enumerate(pieces):
            metadata: dict[str, str | int | float | bool] = {
                "content_hash": content_hash,
                "ingested_at": ingested_at,
                "kind": document.kind,
                "language": language,
                "pipeline": PIPELINE_VERSION,
            }
            for entity_type, count in placeholder_counts(piece.text).items():
                metadata[f"redacted_{entity_type}"] = count
            chunks.append(
                Chunk(
                    chunk_id=chunk_id_for(document_id, content_hash, index),
                    document_id=document_id,
                    source=source,
                    page=piece.page,
                    chunk_index=index,
                    start=piece.start,
                    end=piece.end,
                    text=piece.text,
                    token_count=piece.token_count,
                    metadata=metadata,
                )
            )
        return chunks, redactions

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
    """Files of one group on their way: the outcomes known already and the loaded documents, being redacted."""

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


def _unexpected(exc: Exception, source: str) -> str:
    """Log an unexpected error with its traceback; the one-line reason recorded for the file."""
    if isinstance(exc, StoreError):
        raise exc  # the store being down is the run's failure, not the file's
    logger.error("unexpected error while ingesting %s", source, exc_info=exc)
    return f"could not be processed (unexpected {type(exc).__name__}; see the log)"


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


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started
