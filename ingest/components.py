"""Assemble the ingestion pipeline from settings and core components, or, for batch ingestion, from settings alone."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.builders import build_chunker, build_preparer, build_redactor
from ingest.executors import InProcessExecutor, build_executor
from ingest.ledger import Ledger
from ingest.pipeline import IngestionPipeline
from rag.embedder import SentenceTransformerEmbedder
from rag.lexical import LexicalIndex
from rag.protocols import PrepareExecutor, Redactor, VectorStore
from rag.settings import Settings
from rag.types import IngestExecutor

__all__ = [
    "BatchIngestion",
    "build_batch_ingestion",
    "build_chunker",
    "build_pipeline",
    "build_preparer",
    "build_redactor",
]


def build_pipeline(
    settings: Settings,
    *,
    redactor: Redactor,
    embedder: SentenceTransformerEmbedder,
    store: VectorStore,
    lexical: LexicalIndex | None = None,
    ledger: Ledger | None = None,
) -> IngestionPipeline:
    """A pipeline that prepares documents in this process, on these models (the API's uploads, tests)."""
    return _pipeline(settings, InProcessExecutor(build_preparer(settings, redactor, embedder)), store, lexical, ledger)


def _pipeline(
    settings: Settings,
    executor: PrepareExecutor,
    store: VectorStore,
    lexical: LexicalIndex | None = None,
    ledger: Ledger | None = None,
) -> IngestionPipeline:
    return IngestionPipeline(
        executor=executor,
        store=store,
        lexical=lexical or LexicalIndex(settings.lexical_path),
        ledger=ledger or Ledger(settings.ledger_path),
        max_file_bytes=settings.max_file_bytes,
        group_documents=settings.ingest_group_documents,
    )


@dataclass
class BatchIngestion:
    """What `enclave ingest` runs: the pipeline and the executor that prepares its files."""

    pipeline: IngestionPipeline
    executor: PrepareExecutor

    @property
    def worker_count(self) -> int:
        return self.executor.workers

    def close(self) -> None:
        """Stop the executor's workers (they hold models each); the pipeline's stores stay open."""
        self.executor.close()


def build_batch_ingestion(settings: Settings, executor: IngestExecutor | None = None) -> BatchIngestion:
    """Start the executor (``executor``, else the settings'), its workers loading their models, and open the
    stores: this process only reads files and writes what the workers prepare."""
    from rag.components import open_store  # deferred: heavy (Chroma)

    started = build_executor(settings, executor)
    try:
        pipeline = _pipeline(settings, started, open_store(settings))
    except BaseException:
        started.close()
        raise
    return BatchIngestion(pipeline, started)
