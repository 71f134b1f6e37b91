"""Content-type detection: which loader a file goes to, from its content first and its name second.

Names lie (a ``.txt`` that is a PDF, a ``.pdf`` that is an HTML error page), so the bytes decide and the
suffix only breaks ties between text kinds. A new kind of file adds its rule here and its loader in
``registry.LOADERS``.
"""

from __future__ import annotations

import re

from rag.errors import UnsupportedDocumentError

_SNIFF_BYTES = 4096
_EMAIL_HEADER = re.compile(
    rb"^(from|to|subject|date|received|return-path|message-id|mime-version|delivered-to|cc)\s*:",
    re.IGNORECASE,
)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


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
