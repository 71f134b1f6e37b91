"""The components that the commands run without a server need, built for one run and closed after it: batch
ingestion, forgetting, the consistency check and its repair, a one-off search, the answer and ticket services,
and the services a server holds. Each function raises EnclaveError; the commands turn it into exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli.common import console, progress_bar
from ingest.check import CheckReport, RepairReport, check_consistency, repair
from ingest.ledger import Ledger
from ingest.lock import embedded_store_owner, store_write_lock
from rag.lexical import LexicalIndex
from rag.retriever import HybridRetriever, SearchFilters, SearchMode, require_collection
from rag.settings import Settings
from rag.store import ChromaStore, open_chroma_client, validate_collection_name
from rag.types import IngestExecutor, SearchHit

if TYPE_CHECKING:  # deferred: heavy (the model libraries, jinja2, the document loaders); annotations only
    from api.services import Services
    from ingest.outcomes import FileOutcome, IngestReport
    from rag.answer import AnswerService
    from rag.label_training import LabelSetService
    from rag.tickets import TicketService


def ingest_paths(
    settings: Settings,
    paths: Sequence[Path],
    collection: str,
    *,
    prune: bool,
    access_map: Path | None = None,
    executor: IngestExecutor | None = None,
) -> IngestReport:
    """Ingest ``paths`` into ``collection`` under the writer lock, a spinner while the executor's workers load
    their models, then a progress bar per file. Readers come from ``access_map`` (or the settings' one), else
    from the files' permissions; a map that cannot be used stops the run before anything is ingested."""
    from ingest.components import build_batch_ingestion  # deferred: heavy (torch, spaCy, Presidio)
    from ingest.permissions import reader_policy

    validate_collection_name(collection)
    readers = reader_policy(access_map or settings.access_map)
    # Before the models load: a server that owns the embedded store stops this at once (exit 2).
    with embedded_store_owner(settings), ExitStack() as opened:
        with console.status("Starting the workers and loading their models..."):
            batch = build_batch_ingestion(settings, executor)
        opened.callback(batch.close)
        pipeline = batch.pipeline
        opened.callback(pipeline.ledger.close)
        opened.callback(pipeline.lexical.close)
        if isinstance(pipeline.store, ChromaStore):
            opened.callback(pipeline.store.close)
        with store_write_lock(settings.lock_path, settings.lock_timeout_seconds), progress_bar() as progress:
            task = progress.add_task("ingesting", total=None, current="")
            return pipeline.ingest_paths(
                paths,
                collection,
                prune=prune,
                readers=readers,
                on_start=lambda total: progress.update(task, total=total),
                on_file=lambda outcome: progress.update(task, advance=1, current=outcome.source),
            )


def forget_paths(settings: Settings, paths: Sequence[Path], collection: str) -> list[FileOutcome]:
    """Forget the documents ingested from ``paths`` into ``collection``, under the writer lock."""
    from ingest.components import build_pipeline, build_redactor  # deferred: heavy (torch, spaCy, Presidio)
    from rag.components import load_embedder  # deferred: heavy (jinja2, the model libraries)

    # Before the models load: a server that owns the embedded store stops this at once (exit 2).
    with embedded_store_owner(settings), ExitStack() as opened:
        # Forgetting reads no chunk text: the store needs no text lookup.
        store = ChromaStore(open_chroma_client(settings.store_dir, settings.chroma_url, settings.chroma_token))
        opened.callback(store.close)
        pipeline = build_pipeline(
            settings, redactor=build_redactor(settings), embedder=load_embedder(settings), store=store
        )
        opened.callback(pipeline.ledger.close)
        opened.callback(pipeline.lexical.close)
        with store_write_lock(settings.lock_path, settings.lock_timeout_seconds):
            return pipeline.forget_paths(paths, collection)


@dataclass
class CheckOutcome:
    """A consistency check, and when it was repaired, what the repair did and the check after it."""

    report: CheckReport
    repaired: RepairReport | None = None
    after_repair: CheckReport | None = None


def check_store(settings: Settings, collection: str | None, *, fix: bool) -> CheckOutcome:
    """Check that the ledger, the vector store and the lexical index agree; with ``fix``, repair what does not
    (under the writer lock) and check again."""
    if collection is not None:
        validate_collection_name(collection)
    # Only a repair writes; it owns the embedded store for the run, so a running server stops it (exit 2).
    with embedded_store_owner(settings) if fix else nullcontext(), ExitStack() as opened:
        ledger = Ledger(settings.ledger_path)
        opened.callback(ledger.close)
        # Checking reads ids, not chunk texts: the store needs no text lookup.
        store = ChromaStore(open_chroma_client(settings.store_dir, settings.chroma_url, settings.chroma_token))
        opened.callback(store.close)
        report = check_consistency(ledger, store, settings.lexical_path, collection)
        if not fix or report.consistent:
            return CheckOutcome(report)
        with store_write_lock(settings.lock_path, settings.lock_timeout_seconds):
            # Checked again under the lock: an ingest may have finished in between.
            report = check_consistency(ledger, store, settings.lexical_path, collection)
            lexical = LexicalIndex(settings.lexical_path)
            opened.callback(lexical.close)
            repaired = repair(report, ledger, store, lexical)
        after = check_consistency(ledger, store, settings.lexical_path, collection)
        return CheckOutcome(report, repaired, after)


def search_collection(
    settings: Settings, query: str, collection: str, top_k: int, source: str | None, mode: SearchMode
) -> tuple[str, list[SearchHit]]:
    """The redacted query and its hits in ``collection``, best first."""
    from ingest.components import build_redactor  # deferred: heavy (torch, spaCy, Presidio)
    from rag.answer import validate_text  # deferred: heavy (jinja2)
    from rag.components import load_embedder, open_store  # deferred: heavy (jinja2, the model libraries)

    validate_collection_name(collection)
    store = open_store(settings)
    # Before the models load (seconds): an unknown collection is an error in every mode.
    require_collection(store, collection)
    redacted = build_redactor(settings).redact(validate_text(query, "query", settings.max_question_chars)).text
    retriever = HybridRetriever(
        load_embedder(settings),
        store,
        # One search: building the in-memory ranking of a large store would cost more than it saves.
        LexicalIndex(settings.lexical_path, in_memory_min_chunks=sys.maxsize),
        candidates=settings.retrieval_candidates,
    )
    try:
        return redacted, retriever.search(redacted, collection, top_k, SearchFilters(source=source), mode=mode)
    finally:
        retriever.close()


def answer_services(settings: Settings) -> tuple[AnswerService, TicketService]:
    """The answer and ticket services, for the commands that do not start a server."""
    from api.services import Services  # deferred: heavy (torch, spaCy, Presidio, llama.cpp)

    services = Services.load(settings)
    return services.answers, services.tickets


def label_set_service(settings: Settings) -> LabelSetService:
    """Label sets with the redactor and embedder their examples go through: no store, no language model."""
    # deferred: heavy (torch, spaCy, Presidio)
    from ingest.components import build_redactor
    from rag.components import load_embedder
    from rag.label_sets import LabelSetStore
    from rag.label_training import LabelSetService

    with console.status("Loading models..."):
        redactor, embedder = build_redactor(settings), load_embedder(settings)
    return LabelSetService(LabelSetStore(settings.labelsets_dir), redactor, embedder, settings.max_ticket_chars)


def ticket_service(settings: Settings, with_language_model: bool) -> TicketService:
    """Tickets classified on the embeddings; the language model is loaded only when it is asked to vote."""
    # deferred: heavy (torch, spaCy, Presidio, llama.cpp)
    from rag.components import load_generator
    from rag.tickets import TicketService

    label_sets = label_set_service(settings)
    generator = load_generator(settings) if with_language_model else None
    return TicketService(
        generator=generator,
        label_sets=label_sets,
        model_weight=settings.classify_model_weight,
        max_text_chars=settings.max_ticket_chars,
    )


def serving_services(settings: Settings) -> Services:
    """Every model a server needs, loaded and run once, with the embedded store owned by this process."""
    from api.services import Services  # deferred: heavy (torch, spaCy, Presidio, llama.cpp)

    with console.status("Loading models..."):
        services = Services.load(settings)
    # Before warming up: a data dir whose embedded store another process writes is refused in one line.
    services.own_store()
    # Documents stored before readers were recorded keep being read by every key of their collection.
    with store_write_lock(settings.lock_path, settings.lock_timeout_seconds):
        services.pipeline.writer.record_legacy_readers()
    with console.status("Warming up the models..."):
        services.warm_up()
    return services
