"""File loading: a file's bytes -> pages of text, one module per kind of file.

- ``detect``: which kind a file is, from its content first and its name second;
- ``loader``: the contract every loader fits (``Loader``, ``LoadOptions``, ``PdfLimits``);
- ``registry``: ``LOADERS`` (kind -> loader) and the entry points ``load_bytes`` and ``load_file``;
- ``text``, ``html``, ``email``, ``pdf``: one loader per kind;
- ``word`` (docx), ``spreadsheet`` (xlsx, csv), ``slides`` (pptx), ``odf`` (odt, odp), ``odf_sheet`` (ods),
  ``rtf``: the office documents, with ``office`` (tables and sheets as text, limits) and ``archive`` (the
  ZIP and XML bomb checks run before any of them parses);
- ``isolated``: every parser but the plain-text ones in a killable worker process with a time and a
  memory limit.

Dependencies inside the package point one way, ``registry -> kinds -> loader``, with no cycle.
"""

from ingest.loading.detect import sniff_kind
from ingest.loading.email import load_email
from ingest.loading.html import html_to_text, load_html
from ingest.loading.isolated import load_pdf_isolated, load_pdf_within_limits, run_isolated, within_limits
from ingest.loading.loader import DEFAULT_MAX_PAGES, DEFAULT_PDF_STREAM_MB, Loader, LoadOptions, PdfLimits
from ingest.loading.odf import load_odp, load_odt
from ingest.loading.odf_sheet import load_ods
from ingest.loading.pdf import load_pdf
from ingest.loading.registry import LOADERS, load_bytes, load_file
from ingest.loading.rtf import load_rtf
from ingest.loading.slides import load_pptx
from ingest.loading.spreadsheet import load_csv, load_xlsx
from ingest.loading.text import decode_text, load_markdown, load_text
from ingest.loading.word import load_docx

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
    "load_csv",
    "load_docx",
    "load_email",
    "load_file",
    "load_html",
    "load_markdown",
    "load_odp",
    "load_ods",
    "load_odt",
    "load_pdf",
    "load_pdf_isolated",
    "load_pdf_within_limits",
    "load_pptx",
    "load_rtf",
    "load_text",
    "load_xlsx",
    "run_isolated",
    "sniff_kind",
    "within_limits",
]
