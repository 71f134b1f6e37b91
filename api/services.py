"""Everything a running server needs, loaded once per process and shared by all requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from api.audit import AuditLog
from api.keys import KeyStore
from ingest.components import build_pipeline, build_redactor
from ingest.ledger import Ledger
from ingest.lock import EmbeddedStoreOwner
from ingest.pipeline import IngestionPipeline
from rag.answer import AnswerService
from rag.components import build_answers, load_embedder, load_generator, open_store
from rag.errors import OverloadedError
from rag.label_sets import LabelSetStore
from rag.label_training import LabelSetService
from rag.lexical import LexicalIndex
from rag.protocols import Embedder, Generator, Redactor
from rag.retriever import HybridRetriever
from rag.settings import Settings
from rag.store import ChromaStore
from rag.tickets import TicketService
from rag.types import Redaction

T = TypeVar("T")


class SerializedRedactor:
    """Presidio and spaCy are not documented as thread-safe: one redaction at a time per redactor.

    The server has two, each behind its own lock: one for uploads, one for questions, tickets and answers
    (``Services.query_redactor``), so that a search never waits behind a long upload's redaction.
    """

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
    """Run a blocking iterator in a worker thread and yield its items on the event loop.

    When the consumer stops early (a client gone mid-stream, an error), the worker stops at the next item and
    closes the iterator at once, so whatever it holds (the language model's lock) is released then, not when
    the iterator would have run to its end or been garbage-collected.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    stop = threading.Event()

    def run() -> None:
        iterator = make_iterator()
        try:
            for item in iterator:
                if stop.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
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
        stop.set()
        await worker


class SharedResources:
    """What ``Services.load`` opened, closed once, by the last of the ``Services`` sharing it to be closed.

    Copies made with ``dataclasses.replace`` (another key store, other settings) share the original's
    connections, pools and store, and so this: closing a copy leaves them open for the others.
    """

    def __init__(self, owner: EmbeddedStoreOwner, closers: Sequence[Callable[[], None]]) -> None:
        self.owner = owner
        self._closers = list(closers)
        self._lock = threading.Lock()
        self._users = 0
        self.closed = False

    def join(self) -> None:
        with self._lock:
            self._users += 1

    def leave(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users > 0 or self.closed:
                return
            self.closed = True
        # Each is closed even if one before fails; the owner lock goes last, once the store is closed, before
        # another process may open the store.
        with ExitStack() as closing:
            closing.callback(self.owner.release)
            for close in reversed(self._closers):
                closing.callback(close)


@dataclass
class Services:
    settings: Settings
    redactor: Redactor  # ingestion's (uploads)
    query_redactor: Redactor  # questions, tickets and the answers' output guard
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
    retriever: HybridRetriever
    resources: SharedResources = field(repr=False, compare=False)
    _closed: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.resources.join()

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        redactor: Redactor | None = None,
        query_redactor: Redactor | None = None,
        embedder: Any = None,
        generator: Generator | None = None,
    ) -> Services:
        """Load every model and open the store; already-loaded models may be passed in (tests).

        Uploads and queries get a redactor each, each behind its own lock. A single injected ``redactor``
        (without ``query_redactor``) serves both behind one lock: it is not known to be thread-safe.
        """
        if redactor is None:
            ingest_redactor = SerializedRedactor(build_redactor(settings))
            # A second set of spaCy pipelines, 213 MiB more resident memory with the defaults (measured): Presidio's
            # engines and spaCy's pipelines are not documented thread-safe, so the two cannot share them.
            queries = SerializedRedactor(query_redactor or build_redactor(settings))
        else:
            ingest_redactor = SerializedRedactor(redactor)
            queries = SerializedRedactor(query_redactor) if query_redactor is not None else ingest_redactor
        embedder = embedder or load_embedder(settings)
        generator = generator or load_generator(settings)
        lexical = LexicalIndex(settings.lexical_path, in_memory_min_chunks=settings.lexical_in_memory_min_chunks)
        store = open_store(settings)
        ledger = Ledger(settings.ledger_path)
        pipeline = build_pipeline(
            settings, redactor=ingest_redactor, embedder=embedder, store=store, lexical=lexical, ledger=ledger
        )
        retriever = HybridRetriever(embedder, store, lexical, candidates=settings.retrieval_candidates)
        answers = build_answers(settings, redactor=queries, retriever=retriever, embedder=embedder, generator=generator)
        label_sets = LabelSetService(
            LabelSetStore(settings.labelsets_dir), queries, embedder, max_text_chars=settings.max_ticket_chars
        )
        tickets = TicketService(
            generator=generator,
            label_sets=label_sets,
            model_weight=settings.classify_model_weight,
            max_text_chars=settings.max_ticket_chars,
        )
        resources = SharedResources(
            EmbeddedStoreOwner(settings),
            # Injected models are the caller's: only what is opened here is closed.
            [retriever.close, ledger.close, lexical.close, store.close],
        )
        return cls(
            settings=settings,
            redactor=ingest_redactor,
            query_redactor=queries,
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
            audit=AuditLog(settings.audit_path, settings.audit_key_path),
            retriever=retriever,
            resources=resources,
        )

    def own_store(self) -> None:
        """Hold the embedded store's owner lock (ingest/lock.py) until closed: what a server does from its start,
        so that `enclave ingest`, `forget` and `check --repair` cannot write the store under it. Nothing with a
        Chroma server. StoreBusyError when another process owns it past ENCLAVE_LOCK_TIMEOUT_SECONDS."""
        if not self.resources.closed:
            self.resources.owner.acquire()

    def close(self) -> None:
        """Close what ``load`` opened (the retriever's threads, the ledger, the lexical index, the store) and let
        the owner lock go, once every copy of these services is closed; closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self.resources.leave()

    def warm_up(self) -> None:
        """Run each model once before the first request, which would otherwise pay for it: the first
        spaCy and embedder calls are slow, a large store's in-memory lexical ranking is built, and the fixed
        start of each prompt is evaluated once and kept (the answer prompt's last, so that it is the one
        left in the model's context)."""
        for redactor in dict.fromkeys([self.redactor, self.query_redactor]):
            redactor.redact("Warming up: a first question from Jane Doe about the leave policy.")
        self.embedder.embed(["Warming up: a first question about the leave policy."])
        self.lexical.prepare()
        self.generator.prepare([*self.tickets.prompt_prefixes(), *self.answers.prompt_prefixes()])
