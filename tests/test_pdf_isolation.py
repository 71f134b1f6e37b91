"""Hostile PDFs are parsed in a worker process that is killed past its time or memory limit."""

from __future__ import annotations

import resource
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from ingest.loading import PdfLimits, load_bytes
from rag.errors import UnsupportedDocumentError

from .conftest import REPO, SAMPLE_DOCS


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file of numbered objects (the first is the catalog) with its cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _one_page_pdf(deflated_content: bytes) -> bytes:
    """A one-page PDF with a font whose content stream is ``deflated_content`` (FlateDecode)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(deflated_content) + deflated_content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _pdf(objects)


def _bomb_pdf(decompressed_mb: int) -> bytes:
    """A one-page PDF whose content stream inflates from a few hundred KB to ``decompressed_mb``.

    The page has a font, so text extraction really inflates the stream (pypdf skips the content of a
    page without resources)."""
    compressor = zlib.compressobj(9)
    block = b"0 0 m " * (1024 * 1024 // 6)
    stream = b"".join(compressor.compress(block) for _ in range(decompressed_mb)) + compressor.flush()
    return _one_page_pdf(stream)


def _many_pages_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` pages that all show one page object: seconds of text extraction."""
    text = b"BT /F1 12 Tf 72 720 Td (" + b"Clause text of the agreement. " * 60 + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join([b"3 0 R"] * pages) + b"] /Count %d >>" % pages,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _pdf(objects)


def test_a_pdf_over_the_time_limit_fails_and_the_next_one_parses() -> None:
    with pytest.raises(UnsupportedDocumentError, match="longer than the limit"):
        load_bytes(_many_pages_pdf(3000), "slow.pdf", pdf_limits=PdfLimits(timeout_seconds=0.5))
    pdf = (SAMPLE_DOCS / "hr-policy.pdf").read_bytes()
    document = load_bytes(pdf, "hr-policy.pdf", pdf_limits=PdfLimits(timeout_seconds=60))
    assert [page.number for page in document.pages] == [1, 2, 3, 4]


def test_a_decompression_bomb_fails_with_a_reason_and_memory_stays_bounded() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(UnsupportedDocumentError, match="limit of 64 MiB"):
        load_bytes(_bomb_pdf(600), "bomb.pdf", pdf_limits=PdfLimits(timeout_seconds=60, memory_mb=400))
    # With the stream limit raised past what memory allows, the memory cap stops it instead.
    with pytest.raises(UnsupportedDocumentError, match=r"(needed more than the limit of 400 MiB|parser crashed)"):
        load_bytes(
            _bomb_pdf(600), "bomb.pdf", pdf_limits=PdfLimits(timeout_seconds=60, memory_mb=400, max_stream_mb=4000)
        )
    # The parse happened elsewhere: this process did not grow by the inflated size.
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200


def test_a_pdf_just_under_the_stream_limit_still_loads() -> None:
    text = b"BT /F1 12 Tf 72 720 Td (Quarterly figures) Tj ET\n"
    stream = zlib.compress(text * 30_000)  # about 1.4 MiB inflated
    document = load_bytes(_one_page_pdf(stream), "big.pdf", pdf_limits=PdfLimits(timeout_seconds=60, max_stream_mb=2))
    assert "Quarterly figures" in document.pages[0].text
    with pytest.raises(UnsupportedDocumentError, match="limit of 1 MiB"):
        load_bytes(_one_page_pdf(stream), "big.pdf", pdf_limits=PdfLimits(timeout_seconds=60, max_stream_mb=1))


CHILD_SCRIPT = """
import multiprocessing, sys
from concurrent.futures import ProcessPoolExecutor

def parse(path):
    from ingest.loading import load_pdf_isolated
    with open(path, "rb") as handle:
        return len(load_pdf_isolated(handle.read(), 100, 60, 1024).pages)

if __name__ == "__main__":
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        print(pool.submit(parse, sys.argv[1]).result())
"""


def test_a_multiprocessing_child_that_parsed_a_pdf_exits(tmp_path: Path) -> None:
    # Such a child runs no atexit handlers and joins its own children: the idle PDF worker must not keep
    # it (and the pool waiting for it) alive for ever.
    script = tmp_path / "child.py"
    script.write_text(CHILD_SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), str(SAMPLE_DOCS / "hr-policy.pdf")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 0
