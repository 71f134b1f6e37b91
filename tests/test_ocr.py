"""OCR: scanned PDF pages and images (PNG, JPEG, multi-page TIFF) read by Tesseract in English and French.

Every file is made here: text drawn by Pillow, PDFs made by fpdf2 with the drawing embedded. The tests that
read pages need Tesseract with its English and French data (CI installs them, .ci/run); without it they are
skipped, and the tests of what happens without it run anyway.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from bench.ocr_bench import character_error_rate, font_file
from ingest.loading import ocr
from ingest.loading.image import load_image
from ingest.loading.loader import LoadOptions, PdfLimits
from ingest.loading.registry import load_bytes
from rag.errors import UnsupportedDocumentError

needs_tesseract = pytest.mark.skipif(
    ocr.tesseract_problem() is not None,
    reason="Tesseract with English and French data is not installed "
    "(apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra)",
)
IN_PROCESS = PdfLimits(isolated=False)
ENGLISH = ["The heating contract expires on 30 June;", "the supplier asks for 4.2% more."]
FRENCH = ["Le siège a fermé pour Noël ; la réunion", "prévue à 9 h 30 est reportée à l'été."]


def drawing(lines: list[str], size: tuple[int, int] = (1400, 220)) -> Image.Image:
    """Black text on white at about 200 dpi (11-point letters 40 pixels high): a scan of a few lines."""
    font = ImageFont.truetype(str(font_file()), 40)
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((40, 40 + row * 60), line, font=font, fill=0)
    return image


def encoded(image: Image.Image, kind: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def mixed_pdf(scan: Image.Image) -> bytes:
    """Page 1 with a text layer, page 2 a scan (an image and no text), page 3 blank."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "The first page has a text layer about the budget.")
    pdf.add_page()
    pdf.image(io.BytesIO(encoded(scan, "PNG")), x=10, y=10, w=190)
    pdf.add_page()
    return bytes(pdf.output())


def words(text: str) -> set[str]:
    return {word.strip(";.,:") for word in text.split()}


def error_rate(lines: list[str], read: str) -> float:
    """The character error rate of ``read`` against the text drawn (a lost accent is one error)."""
    errors, characters = character_error_rate(" ".join(lines), read)
    return errors / characters


@needs_tesseract
def test_an_english_png_and_a_french_jpeg_are_read_with_their_accents() -> None:
    english = load_bytes(encoded(drawing(ENGLISH), "PNG"), "scan.png", pdf_limits=IN_PROCESS)
    assert english.kind == "image" and len(english.pages) == 1
    page = english.pages[0]
    assert page.ocr and page.location == "image (OCR)"
    assert {"heating", "contract", "expires", "June", "supplier", "4.2%"} <= words(page.text)
    assert error_rate(ENGLISH, page.text) <= 0.05
    french = load_bytes(encoded(drawing(FRENCH), "JPEG", quality=90), "scan.jpg", pdf_limits=IN_PROCESS)
    # Tesseract sometimes drops one accent of a line ("siege"): the rate allows for it, the words need most.
    assert error_rate(FRENCH, french.pages[0].text) <= 0.05
    assert len({"siège", "fermé", "Noël", "réunion", "prévue", "reportée", "l'été"} & words(french.pages[0].text)) >= 5


@needs_tesseract
def test_a_pdf_with_a_text_page_and_a_scanned_page_reads_both_and_marks_only_the_scan() -> None:
    document = load_bytes(mixed_pdf(drawing(FRENCH)), "mixed.pdf", pdf_limits=IN_PROCESS)
    first, second = document.pages
    assert (first.number, first.ocr, first.location) == (1, False, None)
    assert "text layer about the budget" in first.text
    assert (second.number, second.ocr, second.location) == (2, True, "page 2 (OCR)")
    assert error_rate(FRENCH, second.text) <= 0.05
    # The blank third page is not read (nothing on it) and not warned about.
    assert document.pages_without_text == 1 and document.warnings == []


@needs_tesseract
def test_ocr_runs_in_the_isolated_worker_too() -> None:
    document = load_bytes(mixed_pdf(drawing(ENGLISH)), "mixed.pdf")  # the default limits: the worker process
    assert [(page.number, page.ocr) for page in document.pages] == [(1, False), (2, True)]
    image = load_bytes(encoded(drawing(ENGLISH), "PNG"), "scan.png")
    assert image.pages[0].ocr and "heating" in image.pages[0].text


@needs_tesseract
def test_a_multi_page_tiff_is_read_page_by_page() -> None:
    frames = [drawing(ENGLISH), drawing([]), drawing(FRENCH)]
    data = encoded(frames[0], "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    document = load_bytes(data, "scans.tiff", pdf_limits=IN_PROCESS)
    assert [(page.number, page.location) for page in document.pages] == [(1, "page 1 (OCR)"), (3, "page 3 (OCR)")]
    assert error_rate(ENGLISH, document.pages[0].text) <= 0.05 and error_rate(FRENCH, document.pages[1].text) <= 0.05
    assert document.pages_without_text == 1
    assert document.warnings == ["page 2: no text found by OCR"]


@needs_tesseract
def test_a_tiff_of_500_pages_is_read_up_to_the_limits_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    blank = Image.new("L", (64, 32), 255)
    data = encoded(drawing(ENGLISH), "TIFF", save_all=True, append_images=[blank] * 499)
    document = load_image(data, LoadOptions(max_pages=3, pdf_limits=IN_PROCESS))
    assert [page.number for page in document.pages] == [1]
    assert document.pages_without_text == 499
    assert "pages 4-500: not read: the limit of 3 pages per file" in document.warnings
    assert "pages 2-3: no text found by OCR" in document.warnings
    # The OCR limit is lower than the file's page limit: OCR stops there, and says so.
    monkeypatch.setattr(ocr, "MAX_OCR_PAGES", 2)
    capped = load_image(data, LoadOptions(max_pages=5, pdf_limits=IN_PROCESS))
    assert "pages 3-5: not read: the limit of 2 OCR pages per file" in capped.warnings


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds a few bytes of data (a decompression bomb's
    header: Pillow must refuse it from the header, before decoding anything)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (png_header_only(30_000, 30_000), "image larger than the limit of 100,000,000 pixels"),
        (png_header_only(12_000, 12_000), "image larger than the limit"),  # between the limit and Pillow's 2x
        (encoded(drawing(ENGLISH), "PNG")[:300], "unreadable image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "unreadable image"),
    ],
)
def test_bad_images_fail_with_a_one_line_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UnsupportedDocumentError, match=reason) as caught:
        load_bytes(data, "bad.png", pdf_limits=IN_PROCESS)
    assert "\n" not in caught.value.detail


@needs_tesseract
def test_an_image_without_text_fails_with_no_text_found() -> None:
    with pytest.raises(UnsupportedDocumentError) as caught:
        load_bytes(encoded(drawing([]), "PNG"), "blank.png", pdf_limits=IN_PROCESS)
    assert caught.value.detail == "no text found by OCR"


@needs_tesseract
def test_a_page_over_its_ocr_time_limit_is_skipped_with_a_warning() -> None:
    session = ocr.OcrSession(page_timeout=0.001)
    assert session.page(4, lambda: drawing(ENGLISH)) is None
    assert session.warnings() == ["page 4: OCR took longer than the limit of 0.001 s"]


def test_without_tesseract_scans_are_skipped_with_how_to_enable_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "TESSERACT", "tesseract-that-is-not-installed")
    document = load_bytes(mixed_pdf(drawing(ENGLISH)), "mixed.pdf", pdf_limits=IN_PROCESS)
    assert [page.number for page in document.pages] == [1]  # the text page is ingested
    assert document.warnings == [ocr.OCR_UNAVAILABLE]
    with pytest.raises(UnsupportedDocumentError) as caught:
        load_bytes(encoded(drawing(ENGLISH), "PNG"), "scan.png", pdf_limits=IN_PROCESS)
    assert caught.value.detail == ocr.OCR_UNAVAILABLE


def test_a_scanned_pdf_without_tesseract_fails_with_that_reason_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "TESSERACT", "tesseract-that-is-not-installed")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(encoded(drawing(ENGLISH), "PNG")), x=10, y=10, w=190)
    with pytest.raises(UnsupportedDocumentError) as caught:
        load_bytes(bytes(pdf.output()), "scan.pdf", pdf_limits=IN_PROCESS)
    assert caught.value.detail == ocr.OCR_UNAVAILABLE


def test_page_ranges_are_written_short() -> None:
    assert ocr.page_ranges([7, 1, 2, 3, 9, 10]) == "1-3, 7, 9-10"
    assert ocr.page_ranges([]) == ""


@needs_tesseract
def test_an_ingested_scan_is_marked_in_its_chunks(tmp_path: Path, pipeline_factory: Any) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "scan.png").write_bytes(encoded(drawing(ENGLISH), "PNG"))
    (folder / "mixed.pdf").write_bytes(mixed_pdf(drawing(FRENCH)))
    pipeline = pipeline_factory()
    report = pipeline.ingest_paths([folder], "default")
    assert {o.source: o.status for o in report.outcomes} == {"scan.png": "new", "mixed.pdf": "new"}
    chunks = pipeline.store.get_chunks("default")
    marks = sorted((hit.source, hit.page, hit.metadata.get("location"), hit.metadata.get("ocr")) for hit in chunks)
    assert marks == [
        ("mixed.pdf", 1, None, None),
        ("mixed.pdf", 2, "page 2 (OCR)", True),
        ("scan.png", 1, "image (OCR)", True),
    ]
