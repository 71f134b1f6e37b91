"""The prepare step in the ingesting process itself, one batch after the other: uploads through the API, and
``enclave ingest`` with ``ENCLAVE_INGEST_WORKERS=0``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from ingest.prepare import Preparer
from rag.types import FileToPrepare, PreparedBatch


class InProcessExecutor:
    """Prepares each batch when the writer asks for it, so that nothing is prepared ahead of what is stored."""

    workers = 0

    def __init__(self, preparer: Preparer) -> None:
        self.preparer = preparer

    def prepare(self, batches: Iterable[Sequence[FileToPrepare]]) -> Iterator[tuple[int, PreparedBatch]]:
        for index, batch in enumerate(batches):
            yield index, self.preparer.prepare(batch)

    def close(self) -> None:
        """Nothing to stop: the models belong to whoever built the preparer."""
