"""Loaders: type from content, text per page, every bad file a reason (never a crash)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loading import load_bytes, sniff_kind
from rag.errors import UnsupportedDocumentError

from .conftest import SAMPLE_DOCS, SHARED_PDFS


def test_type_is_detected_from_content_not_the_name() -> None:
    pdf = (SAMPLE_DOCS / "hr-policy.pdf").read_bytes()
    assert sniff_kind(pdf, ".txt") == "pdf"
    eml = (SAMPLE_DOCS / "ticket-1042.eml").read_bytes()
    assert sniff_kind(eml, ".txt") == "email"
    assert sniff_kind(b"<!DOCTYPE html><html><body>x</body></html>", ".txt") == "html"
    assert sniff_kind(b"# Title\n\ntext", ".md") == "markdown"
    assert sniff_kind(b"just words", ".dat") == "text"


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "a.txt", "empty file"),
        (b"   \n\t", "a.txt", "empty file"),
        (b"\x00\x01\x02binary", "a.txt", "binary content"),
        (b"hello, not a pdf", "a.pdf", "not a PDF"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "cut.pdf", "unreadable PDF"),
    ],
)
def test_bad_inputs_raise_our_error_with_a_reason(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(UnsupportedDocumentError, match=reason):
        load_bytes(data, name)


def test_pdf_pages_keep_their_numbers() -> None:
    document = load_bytes((SAMPLE_DOCS / "hr-policy.pdf").read_bytes(), "hr-policy.pdf")
    assert document.kind == "pdf"
    assert [page.number for page in document.pages] == [1, 2, 3, 4]
    assert "25 days" in document.pages[0].text


def test_email_keeps_headers_and_body() -> None:
    document = load_bytes((SAMPLE_DOCS / "ticket-1042.eml").read_bytes(), "ticket-1042.eml")
    text = document.text
    assert document.kind == "email"
    assert text.startswith("Subject: ")
    for header in ("From: ", "To: ", "Date: "):
        assert header in text
    assert "invoice" in text.lower()
    assert "Message-ID" not in text


def test_html_is_text_only() -> None:
    markup = (
        b"<html><head><title>T</title><script>var secret='x1';</script><style>p{}</style></head>"
        b"<body><h1>Heading</h1><p>Body &amp; text</p></body></html>"
    )
    document = load_bytes(markup, "page.html")
    assert document.kind == "html" and document.title == "T"
    assert document.text == "Heading\nBody & text"


def test_non_utf8_text_is_decoded() -> None:
    text = "Le siège est fermé à Noël ; réunion prévue à 9h30.\n"
    assert load_bytes(text.encode("cp1252"), "note.txt").text == text.strip()
    assert load_bytes(text.encode("utf-16"), "note.txt").text == text.strip()


needs_shared_pdfs = pytest.mark.skipif(not SHARED_PDFS.is_dir(), reason="shared PDF samples not present")


@needs_shared_pdfs
def test_real_world_pdfs_load_or_fail_with_their_reason() -> None:
    failures: dict[str, str] = {}
    loaded: dict[str, list[int]] = {}
    for path in sorted(SHARED_PDFS.glob("*.pdf")):
        try:
            loaded[path.name] = [page.number for page in load_bytes(path.read_bytes(), path.name).pages]
        except UnsupportedDocumentError as exc:
            failures[path.name] = exc.detail
    assert "encrypted" in failures.pop("005-libreoffice-writer-password_libreoffice-writer-password.pdf")
    assert "unreadable PDF" in failures.pop("017-unreadable-meta-data_unreadablemetadata.pdf")
    assert failures and all("no text layer" in reason for reason in failures.values())
    assert set(failures) == {
        "007-imagemagick-images_imagemagick-ASCII85Decode.pdf",
        "007-imagemagick-images_imagemagick-CCITTFaxDecode.pdf",
        "007-imagemagick-images_imagemagick-lzw.pdf",
        "019-grayscale-image_grayscale-image.pdf",
        "023-cmyk-image_cmyk-image.pdf",
    }
    assert loaded["004-pdflatex-4-pages_pdflatex-4-pages.pdf"] == [1, 2, 3, 4]
    assert len(loaded["009-pdflatex-geotopo_GeoTopo-komprimiert.pdf"]) == 117
    assert len(loaded) == 24


def test_page_limit_is_enforced() -> None:
    with pytest.raises(UnsupportedDocumentError, match="more than the limit"):
        load_bytes((SAMPLE_DOCS / "hr-policy.pdf").read_bytes(), "hr.pdf", max_pages=2)


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    from ingest.loading import load_file

    with pytest.raises(UnsupportedDocumentError, match="cannot read"):
        load_file(tmp_path / "missing.txt", max_bytes=1000)
    big = tmp_path / "big.txt"
    big.write_text("x" * 2000)
    with pytest.raises(UnsupportedDocumentError, match="larger than the limit"):
        load_file(big, max_bytes=1000)


def test_every_kind_the_detector_names_has_a_loader() -> None:
    """A kind sniff_kind can return without a loader in LOADERS would fail every such file at ingestion."""
    from ingest.loading import LOADERS, sniff_kind

    samples = {
        "report.pdf": b"%PDF-1.7\n",
        "ticket.eml": b"From: a@example.com\nTo: b@example.com\nSubject: hi\n\nbody",
        "page.html": b"<!doctype html><html><body>hello</body></html>",
        "notes.md": b"# Notes\n\ntext",
        "notes.txt": b"plain text",
    }
    kinds = {sniff_kind(data, Path(name).suffix) for name, data in samples.items()}
    assert kinds <= set(LOADERS)  # the office kinds: tests/test_office_loaders.py
