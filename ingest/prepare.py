"""Ingestion's prepare step: the bytes of a batch of files -> their redacted chunks, vectors and redaction counts.

Pure: it reads nothing but its input and writes nowhere, so an executor (``ingest/executors/``) may run it in
this process, in worker processes or on a Dask cluster, while the one writer (``ingest/writer.py``) stores what
comes back. Raw text exists only in here; what leaves is redacted. A file that cannot be loaded, or whose
redaction, chunking or embedding fails, comes back with its reason and the rest of the batch goes on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence

from ingest.admission import ATTACHMENT_SEPARATOR, document_id_for
from ingest.chunker import Chunker
from ingest.loading import PdfLimits, load_bytes
from ingest.preparation import PREPARATION_STAGES, DocumentWork, GroupPreparer, timed, unexpected_reason
from rag.errors import UnsupportedDocumentError
from rag.protocols import Embedder, Redactor
from rag.types import FileToPrepare, PreparedBatch, PreparedDocument

__all__ = ["MAX_ATTACHMENT_DEPTH", "Preparer"]

logger = logging.getLogger(__name__)
# An attachment may carry attachments (a message forwarded as an attachment): followed this deep, no deeper.
MAX_ATTACHMENT_DEPTH = 2


class Preparer:
    """Loads a batch of files (and the attachments inside them), then redacts, chunks and embeds their documents
    in groups of about ``group_pages`` pages: batches pay off, and a group bounds the memory they take."""

    def __init__(
        self,
        redactor: Redactor,
        chunker: Chunker,
        embedder: Embedder,
        *,
        max_pdf_pages: int,
        pdf_limits: PdfLimits | None = None,
        group_pages: int = 64,
    ) -> None:
        self._groups = GroupPreparer(redactor, chunker, embedder)
        self._max_pdf_pages = max_pdf_pages
        self._pdf_limits = pdf_limits or PdfLimits()
        self._group_pages = max(1, group_pages)

    def prepare(self, files: Sequence[FileToPrepare]) -> PreparedBatch:
        """Per file, the file's prepared document and then its attachments', depth first."""
        seconds = dict.fromkeys(("load", *PREPARATION_STAGES), 0.0)
        loaded: list[tuple[DocumentWork, PreparedDocument]] = []
        prepared: list[list[PreparedDocument]] = []
        for file in files:
            documents: list[PreparedDocument] = []
            self._load(file.root, file.source, file.data, documents, loaded, seconds, depth=0)
            prepared.append(documents)
        for group in _page_groups(loaded, self._group_pages):
            self._groups.prepare([work for work, _ in group], [document for _, document in group], seconds)
        return PreparedBatch(prepared, seconds)

    def _load(
        self,
        root: str,
        source: str,
        data: bytes,
        documents: list[PreparedDocument],
        loaded: list[tuple[DocumentWork, PreparedDocument]],
        seconds: dict[str, float],
        depth: int,
    ) -> None:
        """Load one document, then its attachments, each a document of its own (``message.msg › contract.docx``)."""
        content_hash = hashlib.sha256(data).hexdigest()
        document = PreparedDocument(source=source, content_hash=content_hash)
        documents.append(document)
        try:
            with timed(seconds, "load"):
                contents = load_bytes(data, source, self._max_pdf_pages, self._pdf_limits)
        except UnsupportedDocumentError as exc:
            if exc.cause:  # a library's own words, which may quote the file's content: not at INFO
                logger.debug("%s: %s (%s)", source, exc.detail, exc.cause)
            document.failure = exc.detail
            return
        except Exception as exc:  # a parser choking on one file must not stop the batch
            document.failure = unexpected_reason(exc, source)
            return
        document.kind, document.pages, document.warnings = contents.kind, len(contents.pages), list(contents.warnings)
        work = DocumentWork(document_id_for(root, source), content_hash, source, contents.kind, list(contents.pages))
        loaded.append((work, document))
        if depth < MAX_ATTACHMENT_DEPTH:
            for attachment in contents.attachments:
                name = f"{source}{ATTACHMENT_SEPARATOR}{attachment.name}"
                self._load(root, name, attachment.data, documents, loaded, seconds, depth + 1)


def _page_groups(
    loaded: Sequence[tuple[DocumentWork, PreparedDocument]], pages: int
) -> Iterator[list[tuple[DocumentWork, PreparedDocument]]]:
    """Consecutive groups, each closed once it holds ``pages`` pages."""
    group: list[tuple[DocumentWork, PreparedDocument]] = []
    count = 0
    for item in loaded:
        group.append(item)
        count += len(item[0].pages)
        if count >= pages:
            yield group
            group, count = [], 0
    if group:
        yield group
