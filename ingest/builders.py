"""Build the stages that run in any ingesting process (redactor, chunker, preparer) from settings.

Worker processes build theirs from here too, so this module knows nothing of how work is scheduled
(``ingest/executors/``, ``ingest/pipeline.py``): ``ingest/components.py`` assembles those.
"""

from __future__ import annotations

from ingest.chunker import Chunker
from ingest.loading import PdfLimits
from ingest.prepare import Preparer
from ingest.redaction import PresidioRedactor, build_presidio_redactor
from rag.embedder import SentenceTransformerEmbedder
from rag.protocols import Redactor
from rag.settings import Settings


def build_redactor(settings: Settings) -> PresidioRedactor:
    return build_presidio_redactor(
        spacy_models=settings.spacy_models,
        entities=settings.redact_entities,
        score_threshold=settings.redact_score_threshold,
        allow_list=settings.redact_allow_list,
        deny_list=settings.redact_deny_list,
        exclude_components=settings.spacy_exclude,
        matrix_library=settings.spacy_matrix_library,
        locations=settings.redact_locations,
    )


def build_chunker(settings: Settings, embedder: SentenceTransformerEmbedder) -> Chunker:
    return Chunker(embedder, settings.chunk_tokens, settings.chunk_overlap_tokens)


def build_preparer(settings: Settings, redactor: Redactor, embedder: SentenceTransformerEmbedder) -> Preparer:
    """Ingestion's prepare step on these models, with the settings' loading limits."""
    return Preparer(
        redactor,
        build_chunker(settings, embedder),
        embedder,
        max_pdf_pages=settings.max_pdf_pages,
        pdf_limits=PdfLimits(
            timeout_seconds=settings.pdf_timeout_seconds,
            memory_mb=settings.pdf_memory_mb,
            max_stream_mb=settings.pdf_max_stream_mb,
        ),
        group_pages=settings.ingest_group_pages,
    )
