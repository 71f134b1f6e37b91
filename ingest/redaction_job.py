"""A batch's redaction, possibly under way in a worker process: what the ingestion pipeline waits on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rag.types import Redaction

logger = logging.getLogger(__name__)

RedactDocuments = Callable[[Sequence[Sequence[str]], Sequence[str | None]], list[list[Redaction]]]


@dataclass
class RedactionJob:
    """A batch's redaction: under way in a worker process, or to be done by the caller when it asks.

    ``result`` gives the redacted documents and the seconds redacting them took (in the worker, or here).
    A worker that died while holding the batch costs nothing but time: the batch is redone here.
    """

    documents: Sequence[Sequence[str]]
    languages: Sequence[str | None]
    redact_here: RedactDocuments
    future: Future[tuple[list[list[Redaction]], float]] | None = None
    on_broken: Callable[[], None] | None = None
    ran_here: bool = False  # set once ``result`` redacted in the caller

    def result(self) -> tuple[list[list[Redaction]], float]:
        if self.future is not None:
            try:
                return self.future.result()
            except BrokenProcessPool:
                logger.warning("a redaction worker died; its %d documents are redacted here", len(self.documents))
                if self.on_broken is not None:
                    self.on_broken()
        began = time.perf_counter()
        self.ran_here = True
        return self.redact_here(self.documents, self.languages), time.perf_counter() - began


@runtime_checkable
class BackgroundRedactor(Protocol):
    """A redactor that can redact a batch while its caller does other work (worker processes)."""

    def submit_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> RedactionJob: ...
