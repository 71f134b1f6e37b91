"""The batch ingestion pipeline: load -> redact -> chunk -> embed -> store, recorded in the ledger."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from ingest.chunker import Chunker
from ingest.discovery import SourceFile, discover
from ingest.ledger import Ledger, LedgerEntry
from ingest.loaders import PdfLimits, load_bytes
from rag import PIPELINE_VERSION
from rag.errors import StoreError, UnsupportedDocumentError
from rag.lexical import LexicalIndex
from rag.protocols import Embedder, Redactor, VectorStore
from rag.types import Chunk, LoadedDocument

logger = logging.getLogger(__name__)
STAGES = ("load", "redact", "chunk", "embed", "store")
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
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    elapsed_seconds: float = 0.0

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
        for source_file in files:
            outcome = self.ingest_file(source_file, collection, report.stage_seconds)
            report.outcomes.append(outcome)
            if on_file:
                on_file(outcome)
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
        with _timed(timings, "load"):
            try:
                size = source_file.path.stat().st_size
                if size > self._max_file_bytes:
                    raise UnsupportedDocumentError(
                        f"file of {size} bytes is larger than the limit of {self._max_file_bytes}"
                    )
                data = source_file.path.read_bytes()
            except OSError as exc:
                return self._fail(source_file, collection, "", f"cannot read file: {exc.strerror or exc}")
            except UnsupportedDocumentError as exc:
                return self._fail(source_file, collection, "", exc.detail)
        return self.ingest_bytes(
            data,
            collection=collection,
            root=str(source_file.root),
            source=source_file.source,
            path=str(source_file.path),
            stage_seconds=timings,
        )

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
        try:
            with _timed(timings, "load"):
                document = load_bytes(data, source, self._max_pdf_pages, self._pdf_limits)
            chunks, redactions = self._prepare(document, document_id, source, content_hash, timings)
            with _timed(timings, "embed"):
                embeddings = self._embedder.embed([chunk.text for chunk in chunks])
        except StoreError:
            raise
        except UnsupportedDocumentError as exc:
            return self._fail_bytes(collection, document_id, root, source, path, content_hash, exc.detail)
        except Exception as exc:  # a parser or model choking on one file must not stop the batch
            logger.exception("unexpected error while ingesting %s", source)
            reason = f"could not be processed (unexpected {type(exc).__name__}; see the log)"
            return self._fail_bytes(collection, document_id, root, source, path, content_hash, reason)

        record = partial(
            self._ledger.record,
            collection=collection,
            document_id=document_id,
            root=root,
            source=source,
            path=path,
            content_hash=content_hash,
            pipeline=PIPELINE_VERSION,
            kind=document.kind,
            pages=len(document.pages),
            chunk_count=len(chunks),
            redactions=dict(redactions),
        )
        with _timed(timings, "store"):
            # pending -> replace chunks -> done: a crash in between is redone by the next run.
            record(status="pending")
            self._delete_chunks(collection, document_id)
            self._store.upsert(collection, chunks, embeddings)
            self._lexical.upsert(collection, chunks)
            record(status="done")
        return FileOutcome(
            source=source,
            status=status,
            chunks=len(chunks),
            pages=len(document.pages),
            redactions=redactions,
            document_id=document_id,
        )

    def _prepare(
        self,
        document: LoadedDocument,
        document_id: str,
        source: str,
        content_hash: str,
        timings: dict[str, float],
    ) -> tuple[list[Chunk], Counter[str]]:
        with _timed(timings, "redact"):
            redacted = self._redactor.redact_pages([page.text for page in document.pages])
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


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started
