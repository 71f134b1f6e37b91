"""The loader contract: what every kind of file's loader receives and returns.

A loader turns the bytes of one kind of file (PDF, e-mail, HTML, ...) into a ``LoadedDocument``. All
loaders share one signature so that ``registry.LOADERS`` can map a kind to its loader without a branch
per kind; the options a kind does not need (the PDF limits, for a text file) are simply ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from rag.types import LoadedDocument, Page

DEFAULT_PDF_STREAM_MB = 64
DEFAULT_MAX_PAGES = 5000


@dataclass(frozen=True)
class PdfLimits:
    """Limits of the isolated parsers (``isolated.py``: every kind but the plain-text ones), named after the
    first they bounded; ``max_stream_mb`` is the PDFs' own. ``isolated=False`` parses in this process (no limits)."""

    timeout_seconds: float = 60.0
    memory_mb: int = 2048
    max_stream_mb: int = DEFAULT_PDF_STREAM_MB
    isolated: bool = True


@dataclass(frozen=True)
class LoadOptions:
    """What a caller may bound when loading a file; each loader reads the fields that apply to it."""

    max_pages: int = DEFAULT_MAX_PAGES
    pdf_limits: PdfLimits = field(default_factory=PdfLimits)


class Loader(Protocol):
    """Turns the bytes of one kind of file into a document.

    A loader raises ``UnsupportedDocumentError`` with a reason a person can act on for a file it cannot
    read (damaged, encrypted, over a limit), and nothing else. It need not check that the document has
    text: ``registry.load_bytes`` does that for every kind.
    """

    def __call__(self, data: bytes, options: LoadOptions, /) -> LoadedDocument:
        """The document made from ``data``, which the content sniffer attributed to this loader's kind."""
        ...


def single_page(kind: str, text: str, title: str | None = None) -> LoadedDocument:
    """A document of one page (the kinds that have no pages of their own), its text stripped."""
    return LoadedDocument(kind=kind, pages=[Page(number=1, text=text.strip())], title=title)
