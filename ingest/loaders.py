"""Turn a file's bytes into pages of text, detecting the type from the content."""

from __future__ import annotations

import email
import email.policy
import io
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument, Page

_SNIFF_BYTES = 4096
_EMAIL_HEADER = re.compile(
    rb"^(from|to|subject|date|received|return-path|message-id|mime-version|delivered-to|cc)\s*:",
    re.IGNORECASE,
)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_PREFERRED_ENCODINGS = ("cp1252", "latin_1", "iso8859_15")
_BLANK_RUNS = re.compile(r"\n\s*\n\s*(\n\s*)+")


def sniff_kind(data: bytes, suffix: str) -> str:
    """pdf, email, html, markdown or text, decided by the content first and the suffix second."""
    head = data[:_SNIFF_BYTES]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if not head.strip():
        raise UnsupportedDocumentError("empty file")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedDocumentError("binary content that is not a PDF")
    if suffix == ".pdf":
        raise UnsupportedDocumentError("named .pdf but is not a PDF (no %PDF header)")
    first_lines = head.lstrip().splitlines()[:6]
    if sum(1 for line in first_lines if _EMAIL_HEADER.match(line)) >= 2:
        return "email"
    if _HTML_START.match(head) or (suffix in _HTML_SUFFIXES and b"<" in head):
        return "html"
    if suffix in _MARKDOWN_SUFFIXES:
        return "markdown"
    return "text"


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; otherwise the encoding charset-normalizer finds."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:  # an odd byte count or a lone surrogate: truncated or not UTF-16
            raise UnsupportedDocumentError("text marked as UTF-16 that is not valid UTF-16 (truncated?)") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise UnsupportedDocumentError("text in an unknown encoding")
    # Short texts fit several code pages equally well; among equally clean readings prefer the
    # Western European one most office documents here are written in.
    cleanest = min(match.chaos for match in matches)
    for match in matches:
        if match.encoding in _PREFERRED_ENCODINGS and match.chaos <= cleanest:
            return str(match)
    return str(matches[0])


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Visible text of an HTML page (scripts, styles and templates dropped) and its title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "template", "head", "iframe", "object"]):
        tag.decompose()
    text = soup.get_text("\n")
    lines = (line.strip() for line in text.splitlines())
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip(), title


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
DEFAULT_PDF_STREAM_MB = 64
_ENCRYPTED = "encrypted PDF (it cannot be opened without its password)"


def load_pdf(data: bytes, max_pages: int, max_stream_mb: int = DEFAULT_PDF_STREAM_MB) -> LoadedDocument:
    from pypdf import apply_configuration

    limit = max_stream_mb * 1024 * 1024
    with apply_configuration(None, **dict.fromkeys(_STREAM_LIMITS, limit)):
        return _load_pdf(data, max_pages, max_stream_mb)


def _load_pdf(data: bytes, max_pages: int, max_stream_mb: int) -> LoadedDocument:
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


def load_email(data: bytes) -> LoadedDocument:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    header_lines = [f"{name}: {message[name]}" for name in ("Subject", "From", "To", "Date") if message[name]]
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            content = body_part.get_content()
        except (LookupError, UnicodeError) as exc:
            raise UnsupportedDocumentError("email body in an unreadable encoding", cause=str(exc)) from exc
        body = html_to_text(content)[0] if body_part.get_content_subtype() == "html" else str(content)
    text = "\n".join(header_lines) + "\n\n" + body.strip()
    subject = str(message["Subject"]) if message["Subject"] else None
    return LoadedDocument(kind="email", pages=[Page(number=1, text=text.strip())], title=subject)


@dataclass(frozen=True)
class PdfLimits:
    """Limits of the isolated PDF parser; ``isolated=False`` parses in this process (no limits)."""

    timeout_seconds: float = 60.0
    memory_mb: int = 2048
    max_stream_mb: int = DEFAULT_PDF_STREAM_MB
    isolated: bool = True


def load_bytes(data: bytes, name: str, max_pages: int = 5000, pdf_limits: PdfLimits | None = None) -> LoadedDocument:
    """Load a document from its bytes; ``name`` only supplies the suffix used as a hint."""
    kind = sniff_kind(data, Path(name).suffix.lower())
    if kind == "pdf":
        limits = pdf_limits or PdfLimits()
        if not limits.isolated:
            return load_pdf(data, max_pages, limits.max_stream_mb)
        from ingest.pdf_isolation import load_pdf_isolated

        return load_pdf_isolated(data, max_pages, limits.timeout_seconds, limits.memory_mb, limits.max_stream_mb)
    if kind == "email":
        document = load_email(data)
    else:
        text = decode_text(data)
        title = None
        if kind == "html":
            text, title = html_to_text(text)
        document = LoadedDocument(kind=kind, pages=[Page(number=1, text=text.strip())], title=title)
    if not document.text.strip():
        raise UnsupportedDocumentError(f"{kind} file has no text")
    return document


def load_file(
    path: Path, max_bytes: int, max_pages: int = 5000, pdf_limits: PdfLimits | None = None
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
