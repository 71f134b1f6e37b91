"""A file let into ingestion: read under the limits (size, regular file, no link out of the ingested folder),
and once prepared, an ``AdmittedDocument`` that the writer stores under its identity and readers."""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass

from ingest.discovery import SourceFile
from rag.errors import UnsupportedDocumentError
from rag.types import FileOutcomeStatus, PreparedDocument

ATTACHMENT_SEPARATOR = " › "
"""Between a message and its attachment in a source name: ``message.msg › contract.docx``."""


def document_id_for(root: str, source: str) -> str:
    """Stable id of a document: where it comes from, not what it holds (so changes replace it)."""
    return hashlib.sha256(f"{root}\x00{source}".encode()).hexdigest()[:32]


def read_source_file(source_file: SourceFile, max_bytes: int) -> bytes:
    """The bytes of a listed file, or ``UnsupportedDocumentError`` with a reason a person can act on."""
    try:
        # Checked again here: a file may have been swapped for a link out of the root since listing.
        if source_file.path.is_symlink() and not source_file.is_within_root:
            raise UnsupportedDocumentError("a link that leads out of the ingested folder")
        status = source_file.path.stat()
        if not stat.S_ISREG(status.st_mode):
            # Reading a named pipe blocks until a writer comes; a device may never end.
            raise UnsupportedDocumentError("not a regular file (a named pipe, socket or device)")
        if status.st_size > max_bytes:
            raise UnsupportedDocumentError(f"file of {status.st_size} bytes is larger than the limit of {max_bytes}")
        return source_file.path.read_bytes()
    except OSError as exc:
        raise UnsupportedDocumentError(f"cannot read file: {exc.strerror or exc}") from exc


@dataclass
class AdmittedDocument:
    """A document on its way to the writer: who it is, who may read it, and what the prepare step made of it."""

    document_id: str
    root: str
    path: str
    status: FileOutcomeStatus
    readers: tuple[str, ...]  # principals that may read it (rag/access.py)
    prepared: PreparedDocument

    @property
    def source(self) -> str:
        return self.prepared.source

    @property
    def content_hash(self) -> str:
        return self.prepared.content_hash
