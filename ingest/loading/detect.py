"""Content-type detection: which loader a file goes to, from its content first and its name second.

Names lie (a ``.txt`` that is a PDF, a ``.docx`` renamed ``.bin``, a ``.pdf`` that is an HTML error page),
so the bytes decide and the suffix only breaks ties between text kinds (Markdown, CSV) and names a damaged
file. A new kind of file adds its rule here and its loader in ``registry.LOADERS``.

Containers are looked into, cheaply and without parsing their parts: a ZIP by the names in its directory
(Office Open XML by ``[Content_Types].xml`` and its main part, OpenDocument by its ``mimetype`` entry), an
OLE2 compound file by the names of its streams (olefile; it was written for malware analysis, so it is
made to meet hostile files). A binary this does not read is refused as ``unsupported type: <what it is>``.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import olefile

from ingest.loading.archive import open_zip
from rag.errors import UnsupportedDocumentError

_SNIFF_BYTES = 4096
_EMAIL_HEADER = re.compile(
    rb"^(from|to|subject|date|received|return-path|message-id|mime-version|delivered-to|cc)\s*:",
    re.IGNORECASE,
)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_CSV_SUFFIXES = {".csv", ".tsv", ".tab"}
_OFFICE_SUFFIXES = {".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".pptm", ".odt", ".ods", ".odp"}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a ZIP with entries, an empty ZIP
_IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # PNG, JPEG, TIFF (both byte orders)
_RTF = b"{\\rtf"
# Binaries people drop in shares, named so the reason says what the file is.
_OTHER_BINARIES = (
    (b"GIF8", "GIF image"),
    (b"BM", "BMP image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x7fELF", "executable program (ELF)"),
    (b"MZ", "Windows program"),
    (b"SQLite format 3\x00", "SQLite database"),
)
_OOXML_MAIN_PARTS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"))
_ODF_KINDS = {"text": "odt", "spreadsheet": "ods", "presentation": "odp"}
_ODF_MIMETYPE = "application/vnd.oasis.opendocument."
_LEGACY_OFFICE = (
    ("WordDocument", "Word 97-2003 document (.doc); save it as .docx to ingest it"),
    ("Workbook", "Excel 97-2003 workbook (.xls); save it as .xlsx to ingest it"),
    ("Book", "Excel 95 workbook (.xls); save it as .xlsx to ingest it"),
    ("PowerPoint Document", "PowerPoint 97-2003 presentation (.ppt); save it as .pptx to ingest it"),
)


def sniff_kind(data: bytes, suffix: str) -> str:
    """The kind of file ``data`` is (a key of ``registry.LOADERS``), decided by the content first.

    pdf, docx, xlsx, pptx, odt, ods, odp, rtf, msg (Outlook), image (PNG, JPEG, TIFF), email, html, markdown,
    csv or text; any other binary raises ``UnsupportedDocumentError("unsupported type: ...")``.
    """
    head = data[:_SNIFF_BYTES]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if not head.strip():
        raise UnsupportedDocumentError("empty file")
    if head.startswith(_OLE2):
        return _ole_kind(data)
    if head.startswith(_ZIP):
        return _zip_kind(data, suffix)
    if head.startswith(_IMAGES):
        return "image"
    if head.lstrip().startswith(_RTF):
        return "rtf"
    if suffix == ".pdf":
        raise UnsupportedDocumentError("named .pdf but is not a PDF (no %PDF header)")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        what = next((name for magic, name in _OTHER_BINARIES if head.startswith(magic)), None)
        raise UnsupportedDocumentError(f"unsupported type: {what or 'binary content of an unknown kind'}")
    first_lines = head.lstrip().splitlines()[:6]
    if sum(1 for line in first_lines if _EMAIL_HEADER.match(line)) >= 2:
        return "email"
    if _HTML_START.match(head) or (suffix in _HTML_SUFFIXES and b"<" in head):
        return "html"
    if suffix in _MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    return "text"


def _zip_kind(data: bytes, suffix: str) -> str:
    what = "Office document" if suffix in _OFFICE_SUFFIXES else "ZIP archive"
    archive = open_zip(data, what)
    names = set(archive.namelist())
    if "[Content_Types].xml" in names:
        for main_part, kind in _OOXML_MAIN_PARTS:
            if main_part in names:
                return kind
        if "xl/workbook.bin" in names:
            raise UnsupportedDocumentError("unsupported type: Excel binary workbook (.xlsb); save it as .xlsx")
        raise UnsupportedDocumentError("unsupported type: Office Open XML file of an unknown kind")
    mimetype = _odf_mimetype(archive)
    if mimetype is not None and mimetype.startswith(_ODF_MIMETYPE):
        # "text", and the template and master-document variants of each family ("text-template").
        family = mimetype.removeprefix(_ODF_MIMETYPE).split("-")[0]
        if family in _ODF_KINDS:
            return _ODF_KINDS[family]
        shown = family if family.isalpha() and len(family) <= 20 else "unknown"  # the file's words: kept short
        raise UnsupportedDocumentError(f"unsupported type: OpenDocument {shown} file")
    raise UnsupportedDocumentError("unsupported type: ZIP archive (archives are not unpacked)")


def _odf_mimetype(archive: zipfile.ZipFile) -> str | None:
    try:
        entry = archive.getinfo("mimetype")
    except KeyError:
        return None
    if entry.file_size > 200:  # a media type is a short line; anything else is not an OpenDocument file
        return None
    try:
        return archive.read(entry).decode("ascii").strip()
    except (zipfile.BadZipFile, zlib.error, UnicodeDecodeError, ValueError, OSError, EOFError) as exc:
        raise UnsupportedDocumentError("unreadable OpenDocument file (damaged ZIP archive)", cause=str(exc)) from exc


def _ole_kind(data: bytes) -> str:
    """msg for an Outlook message; a refusal naming what the compound file is for everything else."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(path) for path in ole.listdir(streams=True, storages=True)}
    except Exception as exc:  # olefile raises OSError, ValueError, struct.error... on a damaged file
        raise UnsupportedDocumentError("unsupported type: damaged OLE2 compound file", cause=str(exc)) from exc
    top = {name.split("/")[0] for name in streams}
    if any(name.startswith("__substg1.0_") for name in top):
        return "msg"
    if {"EncryptionInfo", "EncryptedPackage"} & top:
        raise UnsupportedDocumentError("unsupported type: password-protected Office file (a password is required)")
    for stream, what in _LEGACY_OFFICE:
        if stream in top:
            raise UnsupportedDocumentError(f"unsupported type: {what}")
    raise UnsupportedDocumentError("unsupported type: OLE2 compound file of an unknown kind")
