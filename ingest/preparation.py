"""Redact, chunk and embed a group of loaded documents: the CPU-bound part of ingestion's prepare step
(ingest/prepare.py), wherever an executor runs it."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest.chunker import Chunker
from rag import PIPELINE_VERSION
from rag.errors import StoreError, UnsupportedDocumentError
from rag.protocols import Embedder, Redactor
from rag.types import Chunk, Page, PreparedDocument, Redaction

logger = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_\d+>")
PREPARATION_STAGES = ("redact", "chunk", "embed")


def chunk_id_for(document_id: str, content_hash: str, chunk_index: int) -> str:
    """Deterministic, so re-running an upsert rewrites the same records instead of adding copies."""
    return f"{document_id[:16]}-{content_hash[:16]}-v{PIPELINE_VERSION}-{chunk_index:05d}"


def placeholder_counts(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


def unexpected_reason(exc: Exception, source: str) -> str:
    """Log an unexpected error with its traceback; the one-line reason recorded for the file. The store being
    down is the run's failure, not the file's: raised again."""
    if isinstance(exc, StoreError):
        raise exc
    logger.error("unexpected error while ingesting %s", source, exc_info=exc)
    return f"could not be processed (unexpected {type(exc).__name__}; see the log)"


def log_group_failure(stage: str, sources: Sequence[str], exc: BaseException) -> None:
    """Log the error that broke a group's ``stage``, naming its documents, before they are retried one by one."""
    logger.warning(
        "%s of a group of %d documents failed; retrying them one by one: %s",
        stage,
        len(sources),
        ", ".join(sources),
        exc_info=exc,
    )


@dataclass(frozen=True)
class DocumentWork:
    """What preparing one loaded document needs: who it is, and its pages."""

    document_id: str
    content_hash: str
    source: str
    kind: str
    pages: list[Page]


@dataclass
class RedactedDocument:
    """A document's pages redacted, and the pages' locations redacted with them (in the same order)."""

    pages: list[Redaction]
    locations: list[str | None]
    location_redactions: Counter[str] = field(default_factory=Counter)


@dataclass
class RedactedGroup:
    documents: list[RedactedDocument]
    seconds: float


def redact_group(redactor: Redactor, works: Sequence[DocumentWork]) -> RedactedGroup:
    """Redact the pages of a group's documents together, in this process or in an ingestion worker.

    A location comes from the file ("section 2: Review of Jane Doe", a sheet named after a customer) and is
    stored with every chunk of its page, so it is redacted too: as further pages of its document, so that
    its placeholders are the document's.
    """
    began = time.perf_counter()
    texts: list[list[str]] = []
    for work in works:
        distinct = list(dict.fromkeys(page.location for page in work.pages if page.location))
        texts.append([page.text for page in work.pages] + distinct)
    redacted = redactor.redact_documents(texts)
    documents = []
    for work, originals, pages in zip(works, texts, redacted, strict=True):
        count = len(work.pages)
        redacted_location = {
            text: redaction.text.strip() for text, redaction in zip(originals[count:], pages[count:], strict=True)
        }
        locations = [redacted_location[page.location] if page.location else None for page in work.pages]
        found: Counter[str] = Counter()
        for redaction in pages[count:]:
            found.update(redaction.counts)
        documents.append(RedactedDocument(pages=list(pages[:count]), locations=locations, location_redactions=found))
    return RedactedGroup(documents, time.perf_counter() - began)


class GroupPreparer:
    """Redacts a group's documents together, chunks each, and embeds all their chunks together.

    spaCy and the embedder are several times faster on batches than one document at a time, and give the
    same output. A document whose redaction, chunking or embedding fails fails alone: a group whose batch
    fails is redone one document at a time, its error logged first (the retry would hide it).
    """

    def __init__(self, redactor: Redactor, chunker: Chunker, embedder: Embedder) -> None:
        self._redactor = redactor
        self._chunker = chunker
        self._embedder = embedder

    def prepare(
        self, works: Sequence[DocumentWork], documents: Sequence[PreparedDocument], seconds: dict[str, float]
    ) -> None:
        """Fill in each document's chunks, vectors and redaction counts, or its failure; ``seconds`` gains the
        time of each stage."""
        try:
            redacted = redact_group(self._redactor, works)
        except Exception as exc:
            if len(works) == 1:
                documents[0].failure = unexpected_reason(exc, works[0].source)
                return
            log_group_failure("redaction", [work.source for work in works], exc)
            for work, document in zip(works, documents, strict=True):
                self.prepare([work], [document], seconds)
            return
        seconds["redact"] = seconds.get("redact", 0.0) + redacted.seconds
        for work, redacted_document, document in zip(works, redacted.documents, documents, strict=True):
            try:
                with timed(seconds, "chunk"):
                    document.chunks, document.redactions = build_chunks(work, redacted_document, self._chunker)
            except UnsupportedDocumentError as exc:
                document.failure = exc.detail
            except Exception as exc:
                document.failure = unexpected_reason(exc, work.source)
        ready = [(work, document) for work, document in zip(works, documents, strict=True) if document.failure is None]
        try:
            with timed(seconds, "embed"):
                vectors = self._embedder.embed([chunk.text for _, document in ready for chunk in document.chunks])
        except Exception as exc:
            log_group_failure("embedding", [work.source for work, _ in ready], exc)
            for work, document in ready:
                self._embed_one(work, document, seconds)
        else:
            offset = 0
            for _, document in ready:
                document.embeddings = vectors[offset : offset + len(document.chunks)]
                offset += len(document.chunks)

    def _embed_one(self, work: DocumentWork, document: PreparedDocument, seconds: dict[str, float]) -> None:
        try:
            with timed(seconds, "embed"):
                document.embeddings = self._embedder.embed([chunk.text for chunk in document.chunks])
        except Exception as exc:
            document.failure = unexpected_reason(exc, work.source)


def build_chunks(work: DocumentWork, document: RedactedDocument, chunker: Chunker) -> tuple[list[Chunk], Counter[str]]:
    """The chunks of one redacted document, with their metadata, and its redaction counts."""
    redacted = document.pages
    redactions: Counter[str] = Counter(document.location_redactions)
    for redaction in redacted:
        redactions.update(redaction.counts)
    language = redacted[0].language if redacted else ""
    pieces = chunker.chunk_pages([(page.number, r.text) for page, r in zip(work.pages, redacted, strict=True)])
    # Where each page is, as redacted (never the location the file gave), and whether OCR read it.
    places = {page.number: (location, page.ocr) for page, location in zip(work.pages, document.locations, strict=True)}
    if not pieces:
        raise UnsupportedDocumentError("no text to index after redaction")
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
    chunks = []
    for index, piece in enumerate(pieces):
        metadata: dict[str, str | int | float | bool] = {
            "content_hash": work.content_hash,
            "ingested_at": ingested_at,
            "kind": work.kind,
            "language": language,
            "pipeline": PIPELINE_VERSION,
        }
        location, ocr = places[piece.page]
        # Where in the file, for citations: a sheet and its rows, a slide; and text read by OCR is marked.
        if location:
            metadata["location"] = location
        if ocr:
            metadata["ocr"] = True
        for entity_type, count in placeholder_counts(piece.text).items():
            metadata[f"redacted_{entity_type}"] = count
        chunks.append(
            Chunk(
                chunk_id=chunk_id_for(work.document_id, work.content_hash, index),
                document_id=work.document_id,
                source=work.source,
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


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the seconds the block takes to ``timings[stage]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started
