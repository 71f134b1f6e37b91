"""The components the ``enclave eval`` commands run on, built for one evaluation: the redactor alone, or a
pipeline and a retriever (or the whole services) over a data dir of the evaluation's own, never the user's
store. Each function raises EnclaveError; the commands turn it into exit code 2."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli.common import console, progress_bar
from ingest.lock import store_write_lock
from rag.retrieval_eval import DEPTH, RetrievalReport, load_beir
from rag.retrieval_eval import evaluate as evaluate_rankings
from rag.retriever import HybridRetriever
from rag.settings import Settings, load_settings
from rag.store import validate_collection_name

if TYPE_CHECKING:  # deferred: heavy (spaCy, Presidio, jinja2); annotations only
    from ingest.redaction import RedactionReport
    from ingest.redaction.evaluation import Record
    from rag.answer_eval import AnswerReport

ANSWERS_COLLECTION = "qa"


def load_labelled_records(dataset: Path, limit: int | None) -> list[Record]:
    """The first ``limit`` records (all when None) of a labelled data set in presidio-research's format;
    ValueError, KeyError or TypeError when the file is not one."""
    from ingest.redaction import load_records  # deferred: heavy (spaCy, Presidio)

    return load_records(dataset)[:limit]


def evaluate_redaction(settings: Settings, records: list[Record], language: str | None) -> RedactionReport:
    """Leak and over-redaction counts of the ingestion redactor on ``records``, with a progress bar."""
    from ingest.components import build_redactor  # deferred: heavy (torch, spaCy, Presidio)
    from ingest.redaction import evaluate  # deferred: heavy (spaCy, Presidio)

    with console.status("Loading models..."):
        redactor = build_redactor(settings)
    with progress_bar() as progress:
        task = progress.add_task("redacting", total=len(records), current="")
        return evaluate(redactor, records, language, on_record=lambda: progress.advance(task))


def evaluate_retrieval(
    settings: Settings,
    *,
    corpus: Path,
    queries: Path,
    qrels: Path,
    collection: str,
    data_dir: Path | None,
    redaction: bool,
) -> RetrievalReport:
    """Ingest a BEIR corpus into the evaluation's own store (``data_dir``, or a temporary one) and score the
    dense, lexical and fused rankings of its judged queries."""
    from ingest.components import build_pipeline, build_redactor  # deferred: heavy (torch, spaCy, Presidio)
    from ingest.redaction import UnredactedText  # deferred: heavy (spaCy, Presidio)
    from rag.components import load_embedder, open_store  # deferred: heavy (jinja2, the model libraries)

    with ExitStack() as stack:
        where = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="enclave-eval-")))
        # Local vectors too: a configured Chroma server is the user's store as well.
        eval_settings = load_settings(data_dir=where, chroma_url=None, chroma_token=None)
        validate_collection_name(collection)
        dataset = load_beir(corpus, queries, qrels)
        with console.status("Loading models..."):
            redactor = build_redactor(settings) if redaction else UnredactedText(tuple(settings.spacy_models))
            # Models come from the user's settings (and model cache): the evaluation measures them.
            embedder = load_embedder(settings)
            store = open_store(eval_settings)
        pipeline = build_pipeline(eval_settings, redactor=redactor, embedder=embedder, store=store)
        retriever = HybridRetriever(embedder, store, pipeline.lexical, candidates=DEPTH)
        lock = store_write_lock(eval_settings.lock_path, eval_settings.lock_timeout_seconds)
        with lock, progress_bar() as progress:
            ingesting = progress.add_task("ingesting", total=len(dataset.corpus), current="")
            searching = progress.add_task("searching", total=len(dataset.judged_queries()), current="")
            return evaluate_rankings(
                dataset,
                ingester=pipeline,
                searcher=retriever,
                redactor=redactor,
                collection=collection,
                on_entry=lambda: progress.advance(ingesting),
                on_query=lambda: progress.advance(searching),
            )


def evaluate_answers(settings: Settings, *, dataset: Path, withhold_every: int, data_dir: Path | None) -> AnswerReport:
    """Ingest the contexts of a SQuAD-style set (less every ``withhold_every``-th) into the evaluation's own store
    (``data_dir``, or a temporary one), ask every question, and score the answers."""
    from api.services import Services  # deferred: heavy (torch, spaCy, Presidio, llama.cpp)
    from rag.answer_eval import evaluate_answers as score_answers  # deferred: heavy (jinja2)
    from rag.answer_eval import load_qa  # deferred: heavy (jinja2)

    with ExitStack() as stack:
        where = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="enclave-eval-")))
        where.mkdir(parents=True, exist_ok=True)
        eval_settings = settings.model_copy(
            update={
                "data_dir": where,
                "chroma_url": None,
                "chroma_token": None,
                "default_collection": ANSWERS_COLLECTION,
            }
        )
        rows = load_qa(dataset)
        with console.status("Loading models..."):
            services = Services.load(eval_settings)
        lock = store_write_lock(eval_settings.lock_path, eval_settings.lock_timeout_seconds)
        with lock, progress_bar() as progress:
            task = progress.add_task("asking", total=len(rows), current="")
            return score_answers(
                rows,
                ingester=services.pipeline,
                answerer=services.answers,
                collection=ANSWERS_COLLECTION,
                withhold_every=withhold_every,
                on_question=lambda: progress.advance(task),
            )
