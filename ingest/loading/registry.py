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
from ingest.loading.loader import DEFAULT_MAX_PAGES, Loader, LoadOptions, PdfLimits
from ingest.loading.pdf_worker import load_pdf_within_limits
from ingest.loading.text import load_markdown, load_text
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument

LOADERS: MappingProxyType[str, Loader] = MappingProxyType(
    {
        "pdf": load_pdf_within_limits,
        "email": load_email,
        "html": load_html,
        "markdown": load_markdown,
        "text": load_text,
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
