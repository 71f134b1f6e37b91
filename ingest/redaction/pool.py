"""Redaction of one batch of documents shared between the caller and worker processes, with the same
output as in one process (the pooled arm of ``bench/redaction_bench.py``).

The caller redacts a share itself (its models are loaded already) while worker processes (Pebble's pool, as
the local executor's: ``ingest/executors/local.py``) take the others. Redaction is per document, so splitting a
batch between documents changes nothing in the output. A worker that dies is replaced by the pool and its
share redone here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessExpired, ProcessPool

from ingest.executors.local import start_pool, stop_pool
from ingest.redaction.language import languages_per_document
from ingest.redaction.redactor import PresidioRedactor
from rag.settings import Settings
from rag.types import Redaction

logger = logging.getLogger(__name__)
_worker_redactor: list[PresidioRedactor] = []  # in a worker process: the redactor it loaded at its start


def load_redactor(settings: Settings) -> int:
    """Load this worker's redactor (once); the worker's process id."""
    if not _worker_redactor:
        from ingest.builders import build_redactor  # deferred: heavy (spaCy, Presidio), in the worker only

        _worker_redactor.append(build_redactor(settings))
    return os.getpid()


def _redact_share(settings: Settings, documents: list[list[str]], languages: list[str | None]) -> list[list[Redaction]]:
    load_redactor(settings)  # a worker that replaced a dead one loads at its first share
    return _worker_redactor[0].redact_documents(documents, languages)


def split_by_size(sizes: Sequence[int], parts: int) -> list[range]:
    """Consecutive ranges of ``sizes`` with totals as even as a greedy cut makes them."""
    parts = max(1, min(parts, len(sizes)))
    total = sum(sizes)
    ranges: list[range] = []
    start = 0
    running = 0
    for index, size in enumerate(sizes):
        running += size
        remaining_items = len(sizes) - index - 1
        remaining_parts = parts - len(ranges) - 1
        boundary = running >= total * (len(ranges) + 1) / parts
        if remaining_parts > 0 and (boundary or remaining_items == remaining_parts):
            ranges.append(range(start, index + 1))
            start = index + 1
    ranges.append(range(start, len(sizes)))
    return [r for r in ranges if len(r)]


class PooledRedactor:
    """A ``Redactor`` that spreads ``redact_documents`` over ``processes`` processes (itself included)."""

    def __init__(self, local: PresidioRedactor, settings: Settings, processes: int) -> None:
        self._local = local
        self._settings = settings
        self.size = max(1, processes - 1)
        self.workers: ProcessPool = start_pool(self.size)
        # Each worker loads its redactor now; until all have, the caller redacts alone.
        self._loading: list[Future[int]] = [self.workers.schedule(load_redactor, (settings,)) for _ in range(self.size)]

    def ready(self) -> bool:
        """Whether every worker has loaded its redactor (without waiting)."""
        return all(future.done() for future in self._loading)

    def wait_ready(self, timeout: float) -> set[int]:
        """Wait until every worker has loaded its redactor; their process ids."""
        return {future.result(timeout=timeout) for future in self._loading}

    @property
    def languages(self) -> tuple[str, ...]:
        return self._local.languages

    def language_of(self, text: str) -> str:
        return self._local.language_of(text)

    def redact(self, text: str, language: str | None = None) -> Redaction:
        return self._local.redact(text, language)

    def redact_pages(self, pages: Sequence[str], language: str | None = None) -> list[Redaction]:
        return self._local.redact_pages(pages, language)

    def redact_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> list[list[Redaction]]:
        wanted = languages_per_document(documents, languages)
        shares = split_by_size([sum(len(page) for page in pages) for pages in documents], self.size + 1)
        if len(shares) < 2 or not self.ready():
            return self._local.redact_documents(documents, wanted)
        if not self.workers.active:  # a worker died while the pool was idle, which Pebble takes as a broken pool
            stop_pool(self.workers)
            self.workers = start_pool(self.size)
        pending = [
            (
                share,
                self.workers.schedule(
                    _redact_share, (self._settings, [list(documents[i]) for i in share], [wanted[i] for i in share])
                ),
            )
            for share in shares[1:]
        ]
        mine = shares[0]
        results = self._local.redact_documents([documents[i] for i in mine], [wanted[i] for i in mine])
        for share, submitted in pending:
            try:
                results.extend(submitted.result())
            except (ProcessExpired, BrokenProcessPool):
                logger.warning("a redaction worker died; its %d documents are redacted here", len(share))
                results.extend(self._local.redact_documents([documents[i] for i in share], [wanted[i] for i in share]))
        return results

    def close(self) -> None:
        self.workers.close()
        self.workers.join()
