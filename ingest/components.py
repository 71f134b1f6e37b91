"""Assemble the ingestion pipeline from settings and core components, or, for batch ingestion, from settings alone."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ingest.builders import build_chunker, build_preparer, build_redactor
from ingest.ledger import Ledger
from ingest.loading import PdfLimits
from ingest.pipeline import IngestionPipeline
from ingest.worker_pool import IngestWorkers
from rag.embedder import SentenceTransformerEmbedder
from rag.lexical import LexicalIndex
from rag.protocols import Redactor, VectorStore
from rag.settings import Settings

__all__ = [
    "BatchIngestion",
    "build_batch_ingestion",
    "build_chunker",
    "build_ingest_workers",
    "build_pipeline",
    "build_preparer",
    "build_redactor",
    "cores",
    "ingest_embed_threads",
    "ingest_worker_count",
]


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ingest_worker_count(settings: Settings) -> int:
    """Redaction workers of batch ingestion: the setting, else one core less than there are (the ingesting
    process chunks and embeds on the one left), none on a single core."""
    if settings.ingest_workers is not None:
        return settings.ingest_workers
    return cores() - 1


def ingest_embed_threads(settings: Settings, workers: int) -> int:
    """Threads of the ingesting process's embedder: the setting, else the cores the workers leave. More
    threads than that only take CPU from the workers (measured: redaction 40% slower, docs/benchmarks.md)."""
    return settings.embed_threads or max(1, cores() - workers)


def build_ingest_workers(settings: Settings) -> IngestWorkers | None:
    """The redaction workers of batch ingestion (``enclave ingest``); None when it runs in one process."""
    count = ingest_worker_count(settings)
    return IngestWorkers(settings, count) if count > 0 else None


def build_pipeline(
    settings: Settings,
    *,
    redactor: Redactor,
    embedder: SentenceTransformerEmbedder,
    store: VectorStore,
    lexical: LexicalIndex | None = None,
    ledger: Ledger | None = None,
    workers: IngestWorkers | None = None,
) -> IngestionPipeline:
    return IngestionPipeline(
        redactor=redactor,
        chunker=build_chunker(settings, embedder),
        embedder=embedder,
        store=store,
        lexical=lexical or LexicalIndex(settings.lexical_path),
        ledger=ledger or Ledger(settings.ledger_path),
        max_file_bytes=settings.max_file_bytes,
        max_pdf_pages=settings.max_pdf_pages,
        pdf_limits=PdfLimits(
            timeout_seconds=settings.pdf_timeout_seconds,
            memory_mb=settings.pdf_memory_mb,
            max_stream_mb=settings.pdf_max_stream_mb,
        ),
        group_documents=settings.ingest_group_documents,
        group_pages=settings.ingest_group_pages,
        workers=workers,
    )


@dataclass
class BatchIngestion:
    """What `enclave ingest` runs: the pipeline, its redaction workers, and its embedder's thread count."""

    pipeline: IngestionPipeline
    workers: IngestWorkers | None
    embed_threads: int

    @property
    def worker_count(self) -> int:
        return self.workers.size if self.workers is not None else 0

    def close(self) -> None:
        """Stop the workers (they hold a redactor each); the pipeline stays usable in this process."""
        if self.workers is not None:
            self.workers.close()


def build_batch_ingestion(settings: Settings) -> BatchIngestion:
    """Load everything batch ingestion needs. The workers start first: they load their models while this
    process loads its own."""
    from rag.components import load_embedder, open_store  # deferred: heavy (torch, Chroma)

    workers = build_ingest_workers(settings)
    try:
        threads = ingest_embed_threads(settings, workers.size if workers is not None else 0)
        redactor = build_redactor(settings)
        embedder = load_embedder(settings, threads=threads)
        store = open_store(settings)
        pipeline = build_pipeline(settings, redactor=redactor, embedder=embedder, store=store, workers=workers)
    except BaseException:
        if workers is not None:
            workers.close()
        raise
    return BatchIngestion(pipeline, workers, threads)
