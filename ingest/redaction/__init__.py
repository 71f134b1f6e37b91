"""Redaction, the one room for it: the redactor, its engine wiring, the recognizers (one per module), the
document-level name passes, the language pick, the pooled redactor (imported from ``ingest.redaction.pool``
itself: it starts worker processes) and the evaluation on labelled data.

The rest of Enclave imports what it needs from here; modules inside the package import each other by
their own paths.
"""

from __future__ import annotations

from ingest.redaction.engine import build_analyzer, build_presidio_redactor, load_spacy_pipeline
from ingest.redaction.evaluation import RedactionReport, evaluate, load_records
from ingest.redaction.language import detect_language, languages_per_document
from ingest.redaction.redactor import PresidioRedactor
from ingest.redaction.unredacted import UnredactedText

__all__ = [
    "PresidioRedactor",
    "RedactionReport",
    "UnredactedText",
    "build_analyzer",
    "build_presidio_redactor",
    "detect_language",
    "evaluate",
    "languages_per_document",
    "load_records",
    "load_spacy_pipeline",
]
