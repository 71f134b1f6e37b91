"""Everything a running server needs, loaded once per process and shared by all requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from api.audit import AuditLog
from api.keys import KeyStore
from ingest.components import build_pipeline, build_redactor
from ingest.ledger import Ledger
from ingest.pipeline import IngestionPipeline
from rag.answer import AnswerService
from rag.components import load_embedder, load_generator, open_store
from rag.errors import OverloadedError
from rag.generator import Generator
from rag.lexical import LexicalIndex
from rag.protocols import Embedder, Redactor
from rag.retriever import HybridRetriever
from rag.settings import Settings
from rag.store import ChromaStore
from rag.tickets import TicketService
from rag.types import Redaction

T = TypeVar("T")


class SerializedRedactor:
    """Presidio and spaCy are not documented as thread-safe: one redaction at a time per process."""

    def __init__(self, inner: Redactor) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def redact(self, text: str, language: str | None = None) -> Redaction:
        with self._lock:
            return self._inner.redact(text, language)

    def redact_pages(self, pages: Sequence[str], language: str | None = None) -> list[Redaction]:
        with self._lock:
            return self._inner.redact_pages(pages, language)

    def redact_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> list[list[Redaction]]:
        with self._lock:
            return self._inner.redact_documents(documents, languages)


class GenerationQueue:
    """One model, one generation at a time; at most ``capacity`` requests wait, the rest get 503.

    Admission is decided when ``admit()`` is called, so a streaming response can still answer 503
    before it starts; the model is taken when the returned ticket is entered.
    """

    def __init__(self, capacity: int, retry_after_seconds: int = 2) -> None:
        self.capacity = capacity
        self.retry_after_seconds = retry_after_seconds
        self._lock = asyncio.Lock()
        self._admitted = 0  # running plus waiting

    @property
    def depth(self) -> int:
        return self._admitted

    def check(self) -> None:
        """Raise the 503 error now if a request admitted at this moment would find the queue full."""
        if self._admitted >= self.capacity + 1:
            raise OverloadedError(
                f"the language model is busy ({self.capacity} requests already waiting); retry shortly",
                retry_after=self.retry_after_seconds,
            )

    def admit(self) -> AbstractAsyncContextManager[None]:
        """Enter at once with ``async with``: the place in the queue is taken by this call."""
        self.check()
        self._admitted += 1
        return self._ticket()

    @asynccontextmanager
    async def _ticket(self) -> AsyncIterator[None]:
        try:
            async with self._lock:
                yield
        finally:
            self._admitted -= 1


async def iterate_in_thread(make_iterator: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    """Run a blocking iterator in a worker thread and yield its items on the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def run() -> None:
        try:
            for item in make_iterator():
                loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, ("end", None))

    worker = loop.run_in_executor(None, run)
    try:
        while True:
            kind, value = await queue.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                break
    finally:
        await worker


@dataclass
class Services:
    settings: Settings
    redactor: Redactor
    embedder: Embedder
    store: ChromaStore
    lexical: LexicalIndex
    ledger: Ledger
    pipeline: IngestionPipeline
    answers: AnswerService
    tickets: TicketService
    generator: Generator
    queue: GenerationQueue
    keys: KeyStore
    audit: AuditLog

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        redactor: Redactor | None = None,
        embedder: Any = None,
        generator: Generator | None = None,
    ) -> Services:
        """Load every model and open the store; already-loaded models may be passed in (tests)."""
        redactor = SerializedRedactor(redactor or build_redactor(settings))
        embedder = embedder or load_embedder(settings)
        generator = generator or load_generator(settings)
        store = open_store(settings)
        lexical = LexicalIndex(settings.lexical_path, in_memory_min_chunks=settings.lexical_in_memory_min_chunks)
        ledger = Ledger(settings.ledger_path)
        pipeline = build_pipeline(
            settings, redactor=redactor, embedder=embedder, store=store, lexical=lexical, ledger=ledger
        )
        retriever = HybridRetriever(embedder, store, lexical, candidates=settings.retrieval_candidates)
        answers = AnswerService(
            redactor=redactor,
            retriever=retriever,
            generator=generator,
            top_k=settings.top_k,
            min_similarity=settings.min_similarity,
            max_tokens=settings.llm_max_tokens,
            max_question_chars=settings.max_question_chars,
        )
        tickets = TicketService(
            redactor=redactor,
            embedder=embedder,
            generator=generator,
            model_weight=settings.classify_model_weight,
            max_text_chars=settings.max_ticket_chars,
        )
        return cls(
            settings=settings,
            redactor=redactor,
            embedder=embedder,
            store=store,
            lexical=lexical,
            ledger=ledger,
            pipeline=pipeline,
            answers=answers,
            tickets=tickets,
            generator=generator,
            queue=GenerationQueue(settings.generation_queue_size),
            keys=KeyStore(settings.keys_path),
            audit=AuditLog(settings.audit_path),
        )

    def warm_up(self) -> None:
        """Run each model once before the first request, which would otherwise pay for it: the first
        spaCy and embedder calls are slow, a large store's in-memory lexical ranking is built, and the fixed
        start of each prompt is evaluated once and kept (the answer prompt's last, so that it is the one
        left in the model's context)."""
        self.redactor.redact("Warming up: a first question from Jane Doe about the leave policy.")
        self.embedder.embed(["Warming up: a first question about the leave policy."])
        self.lexical.prepare()
        self.generator.prepare([*self.tickets.prompt_prefixes(), *self.answers.prompt_prefixes()])
