"""Redaction of many documents in worker processes, with the same output as in one.

spaCy and Presidio hold the GIL, so threads do not help; each worker process loads its own redactor
once. Two ways to use them:

- ``redact_documents`` shares one batch between the workers and the caller, and returns when it is done;
- ``submit_documents`` hands a whole batch to a worker and returns a ``RedactionJob`` at once, so that the
  caller embeds and stores the batches redacted before while this one is redacted (batch ingestion).

Redaction is per document, so splitting a batch between documents changes nothing in the output. A
worker that dies is replaced and its share redone in the caller; a worker whose parent dies (an ingest
killed with SIGKILL) exits within a second.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ingest.language import languages_per_document
from ingest.redaction_job import RedactionJob
from ingest.redactor import PresidioRedactor
from rag.settings import Settings
from rag.types import Redaction

logger = logging.getLogger(__name__)

_worker_redactor: PresidioRedactor | None = None
_PARENT_POLL_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    # A worker of an ingest killed by SIGKILL would wait for work for ever, holding its models' memory.
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(0)


def _start_worker(settings: Settings, parent: int) -> None:
    # The parent's pid comes from the parent: one killed while this worker was starting is already gone here.
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    from rag.egress import install_from_env

    install_from_env()  # a spawned worker is an Enclave process too: no egress from it either
    from ingest.components import build_redactor

    global _worker_redactor
    _worker_redactor = build_redactor(settings)


def _redact_share(documents: list[list[str]], languages: list[str | None]) -> list[list[Redaction]]:
    assert _worker_redactor is not None
    return _worker_redactor.redact_documents(documents, languages)


def _redact_timed(documents: list[list[str]], languages: list[str | None]) -> tuple[list[list[Redaction]], float]:
    """A whole batch, with the seconds the worker spent on it (its busy time, for the stage figures)."""
    began = time.perf_counter()
    return _redact_share(documents, languages), time.perf_counter() - began


def _ready() -> bool:
    return _worker_redactor is not None


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
        self._workers = max(0, processes - 1)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._warming: list[Future[bool]] = []
        if self._workers:
            self._start_pool()

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
        shares = split_by_size([sum(len(page) for page in pages) for pages in documents], self._workers + 1)
        if len(shares) < 2 or not self._workers_ready():
            return self._local.redact_documents(documents, wanted)
        pool, pending = self._submit(documents, wanted, shares[1:])
        mine = shares[0]
        results = self._local.redact_documents([documents[i] for i in mine], [wanted[i] for i in mine])
        for share, future in pending:
            try:
                results.extend(future.result())
            except BrokenProcessPool:
                logger.warning("a redaction worker died; its %d documents are redacted here", len(share))
                self._restart_pool(pool)
                results.extend(self._local.redact_documents([documents[i] for i in share], [wanted[i] for i in share]))
        return results

    def submit_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> RedactionJob:
        """Hand the batch to a worker and return at once; while the workers still load their models, the
        job is left for the caller to do when it asks for the result."""
        wanted = languages_per_document(documents, languages)
        job = RedactionJob(documents, wanted, self._local.redact_documents)
        if not self._workers or not documents or not self._workers_ready():
            return job
        with self._lock:
            pool = self._pool or self._start_pool()
            try:
                job.future = pool.submit(_redact_timed, [list(pages) for pages in documents], wanted)
            except BrokenProcessPool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
                return job
        job.on_broken = lambda: self._restart_pool(pool)
        return job

    def _workers_ready(self) -> bool:
        with self._lock:
            if self._pool is None:
                self._start_pool()
            return all(future.done() for future in self._warming)

    def _submit(
        self, documents: Sequence[Sequence[str]], wanted: list[str | None], shares: list[range]
    ) -> tuple[ProcessPoolExecutor, list[tuple[range, Future[list[list[Redaction]]]]]]:
        with self._lock:
            for attempt in range(2):
                pool = self._pool or self._start_pool()
                try:
                    return pool, [(share, self._submit_share(pool, documents, wanted, share)) for share in shares]
                except BrokenProcessPool:
                    if attempt:
                        raise
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
        raise AssertionError("unreachable")

    @staticmethod
    def _submit_share(
        pool: ProcessPoolExecutor, documents: Sequence[Sequence[str]], wanted: list[str | None], share: range
    ) -> Future[list[list[Redaction]]]:
        return pool.submit(_redact_share, [list(documents[i]) for i in share], [wanted[i] for i in share])

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None

    def _start_pool(self) -> ProcessPoolExecutor:
        # Spawned, not forked: the parent holds torch and model threads that a fork would copy half-way.
        pool = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._settings, os.getpid()),
        )
        # Workers load their models now, while the caller goes on; until they are ready it redacts alone.
        self._warming = [pool.submit(_ready) for _ in range(self._workers)]
        self._pool = pool
        return pool

    def _restart_pool(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = None
