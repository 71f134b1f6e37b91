"""File loading: a file's bytes -> pages of text, one module per kind of file.

- ``detect``: which kind a file is, from its content first and its name second;
- ``loader``: the contract every loader fits (``Loader``, ``LoadOptions``, ``PdfLimits``);
- ``registry``: ``LOADERS`` (kind -> loader) and the entry points ``load_bytes`` and ``load_file``;
- ``text``, ``html``, ``email``, ``pdf``: one loader per kind;
- ``pdf_worker``: the PDF parser in a killable worker process with a time and a memory limit.

Dependencies inside the package point one way, ``registry -> kinds -> loader``, with no cycle.
"""

from ingest.loading.detect import sniff_kind
from ingest.loading.email import load_email
from ingest.loading.html import html_to_text, load_html
from ingest.loading.loader import DEFAULT_MAX_PAGES, DEFAULT_PDF_STREAM_MB, Loader, LoadOptions, PdfLimits
from ingest.loading.pdf import load_pdf
from ingest.loading.pdf_worker import load_pdf_isolated, load_pdf_within_limits
from ingest.loading.registry import LOADERS, load_bytes, load_file
from ingest.loading.text import decode_text, load_markdown, load_text

__all__ = [
    "DEFAULT_MAX_PAGES",
    "DEFAULT_PDF_STREAM_MB",
    "LOADERS",
    "LoadOptions",
    "Loader",
    "PdfLimits",
    "decode_text",
    "html_to_text",
    "load_bytes",
    "load_email",
    "load_file",
    "load_html",
    "load_markdown",
    "load_pdf",
    "load_pdf_isolated",
    "load_pdf_within_limits",
    "load_text",
    "sniff_kind",
]
