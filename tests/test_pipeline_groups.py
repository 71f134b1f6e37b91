"""Ingestion in groups: documents redacted and embedded together give what one at a time gives, and one
document that breaks a group's redaction fails alone."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.types import Redaction

from .conftest import SAMPLE_DOCS, make_pipeline, small_folder


def _folder(tmp_path: Path) -> Path:
    docs = small_folder(tmp_path)
    for name in ("hr-policy.pdf", "politique-teletravail.pdf", "incident-report-2024-03.md"):
        shutil.copy(SAMPLE_DOCS / name, docs / name)
    return docs


def _stored(pipeline: Any, collection: str) -> dict[str, tuple[str, int]]:
    return {hit.chunk_id: (hit.text, hit.page) for hit in pipeline.store.get_chunks(collection)}


def test_grouped_ingestion_stores_what_one_by_one_stores(tmp_path: Path, redactor: Any, embedder: Any) -> None:
    docs = _folder(tmp_path)
    grouped = make_pipeline(tmp_path / "grouped", redactor, embedder, ingest_group_documents=16)
    single = make_pipeline(tmp_path / "single", redactor, embedder, ingest_group_documents=1)
    grouped_report = grouped.ingest_paths([docs], "c")
    single_report = single.ingest_paths([docs], "c")
    assert grouped_report.count("new") == single_report.count("new") == 6
    assert [(o.source, o.chunks, dict(o.redactions)) for o in grouped_report.outcomes] == [
        (o.source, o.chunks, dict(o.redactions)) for o in single_report.outcomes
    ]
    grouped_chunks, single_chunks = _stored(grouped, "c"), _stored(single, "c")
    assert grouped_chunks and grouped_chunks.keys() == single_chunks.keys()
    for chunk_id, (text, page) in grouped_chunks.items():
        assert single_chunks[chunk_id][0] == text and single_chunks[chunk_id][1] == page
    vectors = grouped.store.embeddings("c", list(grouped_chunks))
    again = single.store.embeddings("c", list(grouped_chunks))
    assert all(float(vectors[i] @ again[i]) > 0.999 for i in grouped_chunks)


class _PoisonedRedactor:
    """The real redactor, except that a document holding the poison word makes it raise."""

    def __init__(self, inner: Any, poison: str) -> None:
        self._inner, self._poison = inner, poison

    def _check(self, pages: Sequence[str]) -> None:
        if any(self._poison in page for page in pages):
            raise RuntimeError("redactor crashed")

    def redact(self, text: str, language: str | None = None) -> Redaction:
        self._check([text])
        result: Redaction = self._inner.redact(text, language)
        return result

    def redact_pages(self, pages: Sequence[str], language: str | None = None) -> list[Redaction]:
        self._check(pages)
        result: list[Redaction] = self._inner.redact_pages(pages, language)
        return result

    def redact_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> list[list[Redaction]]:
        for pages in documents:
            self._check(pages)
        result: list[list[Redaction]] = self._inner.redact_documents(documents, languages)
        return result


def test_a_document_that_breaks_its_group_fails_alone(tmp_path: Path, redactor: Any, embedder: Any) -> None:
    docs = small_folder(tmp_path)
    (docs / "poison.txt").write_text("This note holds the word XYZZY and nothing else.", encoding="utf-8")
    pipeline = make_pipeline(tmp_path / "data", _PoisonedRedactor(redactor, "XYZZY"), embedder)
    report = pipeline.ingest_paths([docs], "c")
    by_source = {outcome.source: outcome for outcome in report.outcomes}
    assert by_source["poison.txt"].status == "failed"
    assert "unexpected RuntimeError" in (by_source["poison.txt"].reason or "")
    assert report.count("new") == 3 and report.chunks_written > 0
    assert not any(hit.source == "poison.txt" for hit in pipeline.store.get_chunks("c"))
    assert pipeline.ledger.get("c", by_source["poison.txt"].document_id).status == "failed"
