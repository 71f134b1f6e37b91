"""The one place that maps a kind of file to its loader, and the entry points that use it.

``load_bytes`` sniffs the kind from the content (``detect``), looks its loader up in ``LOADERS`` and checks
that the result has text. Adding a kind (Office, OCR of scanned PDFs) is a module with a function that
fits ``loader.Loader``, one entry in ``LOADERS`` and one rule in ``detect.sniff_kind``; nothing here
branches on the kind.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from ingest.loading.detect import sniff_kind
from ingest.loading.email import load_email
from ingest.loading.html import load_html
from ingest.loading.image import load_image
from ingest.loading.isolated import load_pdf_within_limits, within_limits
from ingest.loading.loader import DEFAULT_MAX_PAGES, Loader, LoadOptions, PdfLimits
from ingest.loading.msg import load_msg
from ingest.loading.odf import load_odp, load_odt
from ingest.loading.odf_sheet import load_ods
from ingest.loading.rtf import load_rtf
from ingest.loading.slides import load_pptx
from ingest.loading.spreadsheet import load_csv, load_xlsx
from ingest.loading.text import load_markdown, load_text
from ingest.loading.word import load_docx
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument

LOADERS: MappingProxyType[str, Loader] = MappingProxyType(
    {
        "pdf": load_pdf_within_limits,
        "email": within_limits(load_email, "e-mail"),
        "html": load_html,
        "markdown": load_markdown,
        "text": load_text,
        # Every parser of these kinds runs in the isolated worker (time and memory limits) when the limits say so.
        "docx": within_limits(load_docx, "Word document"),
        "odt": within_limits(load_odt, "OpenDocument text"),
        "xlsx": within_limits(load_xlsx, "Excel workbook"),
        "ods": within_limits(load_ods, "OpenDocument spreadsheet"),
        "csv": within_limits(load_csv, "CSV file"),
        "pptx": within_limits(load_pptx, "PowerPoint presentation"),
        "odp": within_limits(load_odp, "OpenDocument presentation"),
        "rtf": within_limits(load_rtf, "RTF document"),
        "image": within_limits(load_image, "image"),
        "msg": within_limits(load_msg, "Outlook message"),
    }
)
"""Kind (as ``detect.sniff_kind`` names it, and as ``LoadedDocument.kind`` records it) -> its loader."""


def load_bytes(
    data: bytes, name: str, max_pages: int = DEFAULT_MAX_PAGES, pdf_limits: PdfLimits | None = None
) -> LoadedDocument:
    """Load a document from its bytes; ``name`` only supplies the suffix used as a hint."""
    kind = sniff_kind(data, Path(name).suffix.lower())
    options = LoadOptions(max_pages=max_pages, pdf_limits=pdf_limits or PdfLimits())
    document = LOADERS[kind](data, options)
    if not document.text.strip():
        raise UnsupportedDocumentError(f"{kind} file has no text")
    return document


def load_file(
    path: Path, max_bytes: int, max_pages: int = DEFAULT_MAX_PAGES, pdf_limits: PdfLimits | None = None
) -> tuple[LoadedDocument, bytes]:
    """Read and load a file; returns the document and the exact bytes it was made from."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UnsupportedDocumentError(f"file of {size} bytes is larger than the limit of {max_bytes}")
        data = path.read_bytes()
    except OSError as exc:
        raise UnsupportedDocumentError(f"cannot read file: {exc.strerror or exc}") from exc
    return load_bytes(data, path.name, max_pages, pdf_limits), data
