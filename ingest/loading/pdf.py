"""PDF: pypdf's text per page, page numbers kept, within limits on what a stream may inflate to.

This is the parsing itself, run in whichever process calls it; ``isolated`` runs it in a killable worker
with a time and a memory limit. Every way a PDF can fail (encrypted, damaged, a decompression bomb, no text
layer) becomes an ``UnsupportedDocumentError`` whose reason says which.

A page with no text layer (a scan) is rendered by PDFium (pypdfium2) and read by OCR (``ocr``): rendering shows
what a reader sees whatever the page holds (JBIG2, CCITT or JPEG images, images cut in strips, a /Rotate), and
took 0.14 s for an A4 page at 300 dpi where pypdf's own decoding of the embedded image took 1 to 6 s
(docs/benchmarks.md, OCR). A page with no objects at all is blank and is not read.
"""

from __future__ import annotations

import functools
import io
import math
import threading
from typing import TYPE_CHECKING, Any

from ingest.loading.loader import DEFAULT_PDF_STREAM_MB, LoadOptions
from ingest.loading.ocr import OCR_UNAVAILABLE, RENDER_DPI, OcrError, OcrSession, session_for
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument, Page

# pypdf's own limits on what one stream may inflate to, set to one figure: a decompression bomb is
# refused with its reason instead of filling the parser's memory.
_STREAM_LIMITS = (
    "maximum_declared_stream_length",
    "array_based_stream_maximum_output_length",
    "jbig2_maximum_output_length",
    "lzw_maximum_output_length",
    "run_length_maximum_output_length",
    "zlib_maximum_output_length",
    "brotli_maximum_output_length",
    "image_maximum_buffer_size",
)
_ENCRYPTED = "encrypted PDF (it cannot be opened without its password)"
# A page is rendered at RENDER_DPI unless that makes more pixels than this (a poster, a page of 5 metres): then
# at the resolution that makes this many. An A3 page at 300 dpi is 17 million.
_MAX_RENDER_PIXELS = 35_000_000
# PDFium is not thread-safe: loads in this process (limits not isolated) may run on several threads.
_pdfium_lock = threading.Lock()

if TYPE_CHECKING:
    from PIL.Image import Image


def load_pdf(
    data: bytes, max_pages: int, max_stream_mb: int = DEFAULT_PDF_STREAM_MB, ocr: OcrSession | None = None
) -> LoadedDocument:
    """The pages of a PDF that have text, parsed in this process with pypdf's stream limits set; pages with no
    text layer are read by OCR within the limits of ``ocr`` (a session with the default limits if None)."""
    from pypdf import apply_configuration  # deferred: heavy (pypdf), imported where PDFs are parsed

    limit = max_stream_mb * 1024 * 1024
    with apply_configuration(None, **dict.fromkeys(_STREAM_LIMITS, limit)):
        return _load_pdf(data, max_pages, max_stream_mb, ocr or OcrSession())


def load_pdf_document(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """``load_pdf`` as a ``loader.Loader``: the page, stream and OCR limits taken from ``options``."""
    return load_pdf(data, options.max_pages, options.pdf_limits.max_stream_mb, session_for(options))


def _load_pdf(data: bytes, max_pages: int, max_stream_mb: int, ocr: OcrSession) -> LoadedDocument:
    from pypdf import PdfReader  # deferred: heavy (pypdf)
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError  # deferred: heavy (pypdf)

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password only to restrict printing.
            try:
                if not reader.decrypt(""):
                    raise UnsupportedDocumentError("encrypted PDF (a password is required)")
            except (FileNotDecryptedError, NotImplementedError) as exc:
                raise UnsupportedDocumentError(_ENCRYPTED, cause=str(exc)) from exc
        page_count = len(reader.pages)
        if page_count > max_pages:
            raise UnsupportedDocumentError(f"PDF has {page_count} pages, more than the limit of {max_pages}")
        pages: list[Page] = []
        without_text: list[int] = []
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").strip()
            if text:
                pages.append(Page(number=number, text=text))
            else:
                without_text.append(number)
        title = None
        try:
            title = reader.metadata.title if reader.metadata else None
        except Exception:  # metadata is optional; a broken info dictionary must not fail the file
            title = None
    except UnsupportedDocumentError:
        raise
    except LimitReachedError as exc:
        raise UnsupportedDocumentError(
            "the PDF goes beyond the parser's limits (a stream that inflates past the limit of "
            f"{max_stream_mb} MiB, or more objects in one stream than a document holds)",
            cause=str(exc),
        ) from exc
    except FileNotDecryptedError as exc:
        raise UnsupportedDocumentError(_ENCRYPTED, cause=str(exc)) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise UnsupportedDocumentError(
            "unreadable PDF (damaged, truncated or not really a PDF)", cause=f"{type(exc).__name__}: {exc}"
        ) from exc
    if without_text:
        scanned = _read_scans(data, without_text, ocr)
        pages = sorted([*pages, *scanned], key=lambda page: page.number)
    if not pages:
        failure = ocr.failure()
        if failure == OCR_UNAVAILABLE:  # the reason says what to install, nothing else is wrong with the file
            raise UnsupportedDocumentError(failure)
        raise UnsupportedDocumentError(f"PDF has no text layer ({page_count} image-only or empty pages): {failure}")
    return LoadedDocument(
        kind="pdf",
        pages=pages,
        title=title,
        pages_without_text=page_count - len(pages),
        warnings=ocr.warnings(),
    )


def _read_scans(data: bytes, numbers: list[int], ocr: OcrSession) -> list[Page]:
    """The pages ``numbers`` (from 1) rendered by PDFium and read by OCR; blank pages are left out unread."""
    if ocr.problem:  # no Tesseract: nothing to render for
        ocr.skip(ocr.problem, numbers)
        return []
    # deferred: heavy (PDFium), only for PDFs with pages that have no text layer
    import pypdfium2 as pdfium

    read: list[Page] = []
    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            ocr.skip(f"cannot render the page for OCR ({exc})", numbers)
            return []
        try:
            for number in numbers:
                page = document[number - 1]
                try:
                    if next(iter(page.get_objects()), None) is None:
                        continue  # a blank page: nothing to read, nothing to warn about
                    found = ocr.page(number, functools.partial(_render, page))
                finally:
                    page.close()
                if found is not None:
                    read.append(found)
        finally:
            document.close()
    return read


def _render(page: Any) -> Image:
    """A page as a grey image at RENDER_DPI, or less when that would make more than _MAX_RENDER_PIXELS;
    ``OcrError`` when PDFium cannot render it, so that the other pages are still read."""
    # deferred: heavy (PDFium), imported by _read_scans already
    import pypdfium2 as pdfium

    width, height = page.get_size()  # in points, 1/72 inch
    scale = min(RENDER_DPI / 72, math.sqrt(_MAX_RENDER_PIXELS / max(width * height, 1.0)))
    try:
        bitmap = page.render(scale=scale, grayscale=True)
    except pdfium.PdfiumError as exc:
        raise OcrError(f"cannot render the page for OCR ({exc})") from exc
    try:
        # A copy: the image Pillow makes shares the bitmap's memory, which PDFium frees with the bitmap.
        image: Image = bitmap.to_pil().copy()
    finally:
        bitmap.close()
    image.info["dpi"] = (round(scale * 72),) * 2
    return image
