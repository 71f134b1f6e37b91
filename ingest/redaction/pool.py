"""Redaction of one batch of documents shared between the caller and worker processes, with the same
output as in one process (the pooled arm of ``bench/redaction_bench.py``).

The caller redacts a share itself (its models are loaded already) while worker processes
(``ingest/executors/processes.py``) take the others. Redaction is per document, so splitting a batch between
documents changes nothing in the output. A worker that dies is replaced and its share redone here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

from ingest.executors.processes import SpawnedPool
from ingest.redaction.language import languages_per_document
from ingest.redaction.redactor import PresidioRedactor
from rag.settings import Settings
from rag.types import Redaction

logger = logging.getLogger(__name__)
_worker_redactor: list[PresidioRedactor] = []  # in a worker process: the redactor it loaded at its start


def load_redactor(settings: Settings) -> None:
    from ingest.builders import build_redactor  # deferred: heavy (spaCy, Presidio), in the worker only

    _worker_redactor.append(build_redactor(settings))


def _redact_share(documents: list[list[str]], languages: list[str | None]) -> list[list[Redaction]]:
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
        self.workers = SpawnedPool(settings, max(1, processes - 1), load_redactor)

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
        shares = split_by_size([sum(len(page) for page in pages) for pages in documents], self.workers.size + 1)
        if len(shares) < 2 or not self.workers.ready():
            return self._local.redact_documents(documents, wanted)
        workers = self.workers
        try:
            pending = [
                (
                    share,
                    workers.executor.submit(
                        _redact_share, [list(documents[i]) for i in share], [wanted[i] for i in share]
                    ),
                )
                for share in shares[1:]
            ]
        except BrokenProcessPool:  # a worker died since the last batch
            self._replace(workers)
            return self._local.redact_documents(documents, wanted)
        mine = shares[0]
        results = self._local.redact_documents([documents[i] for i in mine], [wanted[i] for i in mine])
        for share, submitted in pending:
            try:
                results.extend(submitted.result())
            except BrokenProcessPool:
                logger.warning("a redaction worker died; its %d documents are redacted here", len(share))
                self._replace(workers)
                results.extend(self._local.redact_documents([documents[i] for i in share], [wanted[i] for i in share]))
        return results

    def close(self) -> None:
        self.workers.shutdown(wait=True)

    def _replace(self, broken: SpawnedPool) -> None:
        """Start new workers in place of a pool one of whose workers died (once per broken pool)."""
        if self.workers is broken:
            broken.shutdown()
            self.workers = SpawnedPool(self._settings, broken.size, load_redactor)
