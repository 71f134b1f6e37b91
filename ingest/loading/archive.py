"""ZIP containers (Office Open XML, OpenDocument): checked before any library opens them.

A ``.docx`` or ``.ods`` is a ZIP of XML parts, so it can be a ZIP bomb (a few KB that inflate to
gigabytes) or carry an XML bomb or external entity in one of its parts. The checks here run on what the
ZIP declares and on the first bytes of each XML part, before python-docx, openpyxl or python-pptx parse
anything:

- the central directory is bounded before ``zipfile`` reads it (a listing of millions of entries is
  itself a memory bomb in the process that reads it);
- the declared uncompressed sizes are bounded in total and in ratio. That is enough because every library
  here reads the parts through ``zipfile``, which never inflates an entry past its declared size (it stops
  there and fails the CRC check);
- an XML part with a document type declaration anywhere in it is refused: Office and OpenDocument files
  never need one, and it is where entity bombs and external entities live. The libraries do not resolve entities either
  (python-docx and python-pptx parse with lxml's ``resolve_entities=False``, openpyxl with lxml's
  ``resolve_entities=False`` and defusedxml, the OpenDocument loaders with defusedxml): this check is the
  first of two locks, and the one that gives a person a clear reason.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from rag.errors import UnsupportedDocumentError

MIB = 1024 * 1024
MAX_CENTRAL_DIRECTORY_BYTES = 4 * MIB  # tens of thousands of entries; an Office file has a few hundred
MAX_ENTRIES = 10_000
MAX_TOTAL_UNCOMPRESSED = 512 * MIB
MAX_RATIO = 100  # compression ratio past which a large entry is taken for a bomb
RATIO_MIN_SIZE = 10 * MIB  # small parts compress well (repetitive XML), and are harmless however they do
# Parts that are XML in either family; their prolog is read for a document type declaration.
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_CHUNK_BYTES = MIB
_DOCTYPE = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF


def central_directory_size(data: bytes) -> int | None:
    """The size the end-of-central-directory record declares, None when there is no such record."""
    start = data.rfind(_EOCD, max(0, len(data) - _EOCD_SIZE - _MAX_COMMENT))
    if start < 0 or len(data) < start + _EOCD_SIZE:
        return None
    size: int = struct.unpack_from("<I", data, start + 12)[0]
    return size


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """The ZIP of ``data`` as ``zipfile`` reads it, its directory bounded; damaged: our error."""
    size = central_directory_size(data)
    if size is None:
        raise UnsupportedDocumentError(f"unreadable {what} (damaged or truncated ZIP archive)")
    if size > MAX_CENTRAL_DIRECTORY_BYTES:
        raise UnsupportedDocumentError(
            f"{what} with a ZIP directory of {size // MIB} MiB, more than the limit of "
            f"{MAX_CENTRAL_DIRECTORY_BYTES // MIB} MiB"
        )
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error) as exc:
        raise UnsupportedDocumentError(f"unreadable {what} (damaged or truncated ZIP archive)", cause=str(exc)) from exc


def checked_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """The ZIP of an Office or OpenDocument file once it passed every check above, or our error."""
    archive = open_zip(data, what)
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise UnsupportedDocumentError(f"{what} of {len(entries)} parts, more than the limit of {MAX_ENTRIES}")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise UnsupportedDocumentError(
            f"{what} that inflates to {total // MIB} MiB, more than the limit of "
            f"{MAX_TOTAL_UNCOMPRESSED // MIB} MiB (a ZIP bomb?)"
        )
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise UnsupportedDocumentError(f"{what} with encrypted ZIP entries (a password is required)")
        if entry.file_size > RATIO_MIN_SIZE and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise UnsupportedDocumentError(
                f"{what} with a part of {entry.file_size // MIB} MiB compressed more than {MAX_RATIO}:1 (a ZIP bomb?)"
            )
    with zip_errors(what):
        for entry in entries:
            if entry.filename.lower().endswith(_XML_SUFFIXES) and _declares_doctype(archive, entry):
                raise UnsupportedDocumentError(
                    f"{what} with an XML document type declaration (refused: the place of XML bombs and "
                    "external entities)"
                )
    return archive


def _declares_doctype(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    # The whole part, not only its prolog: a long comment can push the declaration past any fixed prefix.
    # Read a chunk at a time with an overlap, so that a marker cut by a chunk boundary is still seen.
    overlap = max(len(marker) for marker in _DOCTYPE) - 1
    tail = b""
    with archive.open(entry) as part:
        while chunk := part.read(_CHUNK_BYTES):
            window = tail + chunk
            if any(marker in window for marker in _DOCTYPE):
                return True
            tail = window[-overlap:]
    return False


def read_part(archive: zipfile.ZipFile, name: str, what: str) -> bytes | None:
    """The bytes of part ``name`` (already bounded by ``checked_zip``), None when the file has no such part."""
    try:
        entry = archive.getinfo(name)
    except KeyError:
        return None
    with zip_errors(what):
        return archive.read(entry)


@contextmanager
def zip_errors(what: str) -> Iterator[None]:
    """A damaged entry (bad CRC, broken deflate stream, cut short) as our error with its reason."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise UnsupportedDocumentError(f"unreadable {what} (damaged or truncated ZIP archive)", cause=str(exc)) from exc
