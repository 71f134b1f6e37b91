"""A file let into the batched stages: its identity, its loaded pages and, as they come, its chunks.

A file is read under the limits (size, regular file, no link out of the ingested folder), skipped when the
ledger says it is unchanged, and otherwise loaded; what is loaded travels through redaction, chunking and
embedding as an ``AdmittedDocument`` until the writer stores it.
"""

from __future__ import annotations

import hashlib
import stat
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ingest.discovery import SourceFile
from ingest.preparation import DocumentWork
from rag.errors import UnsupportedDocumentError
from rag.types import Chunk, FileOutcomeStatus, LoadedDocument

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
    """A loaded document on its way through the batched stages; ``failure`` once it cannot go on."""

    document_id: str
    root: str
    source: str
    path: str
    content_hash: str
    status: FileOutcomeStatus
    readers: tuple[str, ...] = ()  # principals that may read it (rag/access.py)
    document: LoadedDocument = field(default_factory=lambda: LoadedDocument(kind="", pages=[]))
    chunks: list[Chunk] = field(default_factory=list)
    redactions: Counter[str] = field(default_factory=Counter)
    embeddings: npt.NDArray[np.float32] | None = None
    failure: str | None = None

    def work(self) -> DocumentWork:
        """What the preparation stages need of it (picklable, for the ingestion workers)."""
        return DocumentWork(
            document_id=self.document_id,
            content_hash=self.content_hash,
            source=self.source,
            kind=self.document.kind,
            pages=list(self.document.pages),
        )
