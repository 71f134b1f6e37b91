"""PDF: pypdf's text per page, page numbers kept, within limits on what a stream may inflate to.

This is the parsing itself, run in whichever process calls it; ``pdf_worker`` runs it in a killable worker
with a time and a memory limit. Every way a PDF can fail (encrypted, damaged, a decompression bomb, no text
layer) becomes an ``UnsupportedDocumentError`` whose reason says which.
"""

from __future__ import annotations

import io

from ingest.loading.loader import DEFAULT_PDF_STREAM_MB
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


def load_pdf(data: bytes, max_pages: int, max_stream_mb: int = DEFAULT_PDF_STREAM_MB) -> LoadedDocument:
    """The pages of a PDF that have text, parsed in this process with pypdf's stream limits set."""
    # Deferred: a heavy library, imported only where a PDF is parsed (the isolated worker, mostly).
    from pypdf import apply_configuration

    limit = max_stream_mb * 1024 * 1024
    with apply_configuration(None, **dict.fromkeys(_STREAM_LIMITS, limit)):
        return _load_pdf(data, max_pages, max_stream_mb)


def _load_pdf(data: bytes, max_pages: int, max_stream_mb: int) -> LoadedDocument:
    # Deferred: a heavy library, imported only where a PDF is parsed.
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

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
        empty = 0
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").strip()
            if text:
                pages.append(Page(number=number, text=text))
            else:
                empty += 1
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
    if not pages:
        raise UnsupportedDocumentError(f"PDF has no text layer ({page_count} image-only or empty pages)")
    return LoadedDocument(kind="pdf", pages=pages, title=title, pages_without_text=empty)
