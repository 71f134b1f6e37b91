"""Plain text and Markdown: finding the encoding of text that carries no declaration of it.

Files from office shares come in UTF-8, UTF-16 with a BOM and the Windows code pages; a wrong guess turns
names into mojibake that the redactor then fails to recognise, so the choice among equally clean readings
leans to the Western European code pages the documents here are written in.
"""

from __future__ import annotations

from ingest.loading.loader import LoadOptions, single_page
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument

_PREFERRED_ENCODINGS = ("cp1252", "latin_1", "iso8859_15")


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
    from charset_normalizer import from_bytes  # deferred: heavy (charset-normalizer), rare non-UTF-8 text

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


def load_text(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """A plain-text file as one page."""
    return single_page("text", decode_text(data))


def load_markdown(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """A Markdown file as one page, its markup kept (it reads as text and the chunker splits on it)."""
    return single_page("markdown", decode_text(data))
