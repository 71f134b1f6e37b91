"""The per-kind ingestion benchmark writes the same pages as every kind, and Enclave reads each back as that kind."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.corpus_kinds import PROSE_WRITERS, FileKind, register_rows, write_xlsx
from bench.corpus_values import make_fakers
from bench.kinds_bench import PAGES_PER_DOCUMENT, compose_documents
from ingest.loading.registry import load_bytes

# Kinds that keep page boundaries: a page break, a slide, a scanned page each start a page of their own.
PAGED = {FileKind.PDF: "pdf", FileKind.DOCX: "docx", FileKind.ODT: "odt", FileKind.PPTX: "pptx"}
# The others hold the whole document as one page.
WHOLE = {
    FileKind.TXT: "text",
    FileKind.MD: "markdown",
    FileKind.HTML: "html",
    FileKind.EML: "email",
    FileKind.RTF: "rtf",
}


@pytest.fixture(scope="module")
def document() -> tuple[str, list]:
    return compose_documents(PAGES_PER_DOCUMENT, seed=3)[0]


@pytest.mark.parametrize("kind", sorted(set(PROSE_WRITERS) - {FileKind.SCAN}, key=str))
def test_each_kind_reads_back_with_the_composed_words(
    kind: FileKind, document: tuple[str, list], tmp_path: Path
) -> None:
    title, pages = document
    path = tmp_path / f"document.{kind.suffix}"
    PROSE_WRITERS[kind](title, pages, path)
    loaded = load_bytes(path.read_bytes(), path.name)
    # A distinctive sentence of the last page survives the round trip, whatever the kind.
    last_paragraph = next(block.text for block in reversed(pages[-1]) if block.style == "paragraph")
    assert " ".join(last_paragraph.split()[:6]) in " ".join(loaded.text.split())
    if kind in PAGED:
        assert loaded.kind == PAGED[kind]
        assert len(loaded.pages) == len(pages)
    elif kind in WHOLE:
        assert loaded.kind == WHOLE[kind]


def test_the_register_is_read_in_blocks_of_rows(tmp_path: Path) -> None:
    rows = register_rows(3_000, make_fakers(0)["en_GB"], random.Random(0))
    write_xlsx(rows, tmp_path / "register.xlsx")
    loaded = load_bytes((tmp_path / "register.xlsx").read_bytes(), "register.xlsx")
    assert loaded.kind == "xlsx"
    assert sum(len(page.text.splitlines()) for page in loaded.pages) > len(rows)
    assert f"Customer: {rows[-1][1]}" in loaded.text
