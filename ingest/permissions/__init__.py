"""Who may read each ingested file: from the file system's permissions or from an access map.

A reader policy gives the principals (rag/access.py) of a file found under an ingested folder, or refuses the
file with a reason (``UnsupportedDocumentError``), which is then recorded as failed like an unreadable file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ingest.discovery import SourceFile
from ingest.permissions.access_map import AccessMap, load_access_map
from ingest.permissions.filesystem import FileSystemReaders


class ReaderPolicy(Protocol):
    def readers_of(self, source_file: SourceFile) -> tuple[str, ...]:
        """The principals that may read this file; ``UnsupportedDocumentError`` when none can be given."""
        ...


def reader_policy(access_map: Path | None) -> ReaderPolicy:
    """The access map at ``access_map`` when one is named (read and checked now, before anything is ingested),
    else the file system's own permissions."""
    return load_access_map(access_map) if access_map is not None else FileSystemReaders()


__all__ = ["AccessMap", "FileSystemReaders", "ReaderPolicy", "load_access_map", "reader_policy"]
