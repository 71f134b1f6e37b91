"""Assemble the ingestion pipeline from settings and already-loaded core components."""

from __future__ import annotations

from ingest.chunker import Chunker
from ingest.ledger import Ledger
from ingest.loaders import PdfLimits
from ingest.pipeline import IngestionPipeline
from ingest.redaction_pool import PooledRedactor
from ingest.redactor import PresidioRedactor
from rag.embedder import SentenceTransformerEmbedder
from rag.lexical import LexicalIndex
from rag.protocols import Redactor, VectorStore
from rag.settings import Settings


def build_redactor(settings: Settings) -> PresidioRedactor:
    return PresidioRedactor(
        spacy_models=settings.spacy_models,
        entities=settings.redact_entities,
        score_threshold=settings.redact_score_threshold,
        allow_list=settings.redact_allow_list,
        deny_list=settings.redact_deny_list,
        exclude_components=settings.spacy_exclude,
    )


def build_batch_redactor(settings: Settings) -> Redactor:
    """The redactor of batch ingestion: shared over ``ingest_redaction_processes`` processes."""
    local = build_redactor(settings)
    if settings.ingest_redaction_processes < 2:
        return local
    return PooledRedactor(local, settings, settings.ingest_redaction_processes)


def build_pipeline(
    settings: Settings,
    *,
    redactor: Redactor,
    embedder: SentenceTransformerEmbedder,
    store: VectorStore,
    lexical: LexicalIndex | None = None,
    ledger: Ledger | None = None,
) -> IngestionPipeline:
    return IngestionPipeline(
        redactor=redactor,
        chunker=Chunker(embedder, settings.chunk_tokens, settings.chunk_overlap_tokens),
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
    )
