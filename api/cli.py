"""The ``enclave`` command line: one CLI, one verb per job."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import rag  # noqa: F401  (sets the offline switches before any model library is imported)
from api.audit import parse_since
from rag.egress import is_loopback_host
from rag.errors import ConfigurationError, EnclaveError, InvalidInputError
from rag.retriever import SearchMode
from rag.settings import Settings, load_settings

app = typer.Typer(
    name="enclave",
    help="Enclave: private retrieval-augmented answers over your documents, on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

CollectionOption = Annotated[
    str | None,
    typer.Option("--collection", "-c", help="Collection to use (default: ENCLAVE_DEFAULT_COLLECTION)."),
]


def _settings() -> Settings:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("presidio-analyzer", "presidio-anonymizer", "sentence_transformers", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        return load_settings()
    except ConfigurationError as exc:  # a bad ENCLAVE_* value: one line and exit code 2 in every verb
        raise _fail(exc) from exc


def _fail(exc: EnclaveError) -> typer.Exit:
    """Print the error on one line of stderr (not wrapped to the terminal, brackets not read as markup)."""
    message = exc.detail + (f" ({exc.cause})" if exc.cause else "")
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code=2)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest (folders recursively).")],
    collection: CollectionOption = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Forget documents of these folders whose files are gone.")
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero if any file failed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Load, redact, chunk, embed and store documents; unchanged files are skipped by content hash.

    PDF, plain text, Markdown, HTML and e-mail (.eml) are detected from their content. A file that
    cannot be ingested is reported with its reason and the run goes on. Running again after a crash
    or Ctrl-C completes the work without duplicates.
    """
    from ingest.components import build_batch_ingestion
    from ingest.lock import embedded_store_owner, store_write_lock
    from rag.store import ChromaStore, validate_collection_name

    settings = _settings()
    name = collection or settings.default_collection
    try:
        validate_collection_name(name)
        # Before the models load: a server that owns the embedded store stops this at once (exit 2).
        with embedded_store_owner(settings), ExitStack() as opened:
            with console.status("Loading models..."):
                batch = build_batch_ingestion(settings)
            opened.callback(batch.close)
            pipeline = batch.pipeline
            opened.callback(pipeline.ledger.close)
            opened.callback(pipeline.lexical.close)
            if isinstance(pipeline.store, ChromaStore):
                opened.callback(pipeline.store.close)
            with store_write_lock(settings.lock_path, settings.lock_timeout_seconds), _progress() as progress:
                task = progress.add_task("ingesting", total=None, current="")
                report = pipeline.ingest_paths(
                    paths,
                    name,
                    prune=prune,
                    on_start=lambda total: progress.update(task, total=total),
                    on_file=lambda outcome: progress.update(task, advance=1, current=outcome.source),
                )
    except EnclaveError as exc:
        raise _fail(exc) from exc

    summary = report.to_dict()
    if as_json:
        out.print_json(json.dumps(summary))
    else:
        _print_ingest_summary(summary)
    files = summary["files"]
    assert isinstance(files, dict)
    ingested = files["new"] + files["changed"] + files["skipped"]
    if (strict and files["failed"]) or (ingested == 0 and files["forgotten"] == 0):
        if ingested == 0 and not files["failed"]:
            console.print("[yellow]no files found to ingest[/]")
        raise typer.Exit(code=1)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        console=console,
        transient=True,
    )


def _print_ingest_summary(summary: dict[str, object]) -> None:
    files = summary["files"]
    stages = summary["stage_seconds"]
    redactions = summary["redactions"]
    failures = summary["failures"]
    assert isinstance(files, dict) and isinstance(stages, dict)
    assert isinstance(redactions, dict) and isinstance(failures, list)
    table = Table(title=f"Ingestion into collection '{summary['collection']}'", show_header=False)
    table.add_row("files", ", ".join(f"{count} {status}" for status, count in files.items()))
    table.add_row("pages / chunks written", f"{summary['pages']} / {summary['chunks_written']}")
    table.add_row(
        "entities redacted",
        ", ".join(f"{kind} {count}" for kind, count in redactions.items()) or "none",
    )
    table.add_row("seconds per stage", ", ".join(f"{stage} {sec:.2f}" for stage, sec in stages.items()))
    table.add_row("elapsed", f"{summary['elapsed_seconds']:.2f} s")
    out.print(table)
    for failure in failures:
        out.print(f"[red]failed[/] {failure['source']}: {failure['reason']}")


@app.command()
def forget(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders whose documents to forget.")],
    collection: CollectionOption = None,
) -> None:
    """Remove every chunk and vector of these documents, and their ledger entries."""
    from ingest.components import build_pipeline, build_redactor
    from ingest.lock import embedded_store_owner, store_write_lock
    from rag.components import load_embedder
    from rag.store import ChromaStore, open_chroma_client

    settings = _settings()
    name = collection or settings.default_collection
    try:
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
                outcomes = pipeline.forget_paths(paths, name)
    except EnclaveError as exc:
        raise _fail(exc) from exc
    if not outcomes:
        console.print(f"[yellow]nothing ingested from {', '.join(map(str, paths))} in collection '{name}'[/]")
        raise typer.Exit(code=1)
    for outcome in outcomes:
        out.print(f"forgot {outcome.source} ({outcome.chunks} chunks)")


@app.command()
def redact(
    jsonl: Annotated[
        bool,
        typer.Option("--jsonl", help='Read one {"text": ...} object per line; write text and entities per line.'),
    ] = False,
    language: Annotated[
        str | None, typer.Option("--language", "-l", help="Language code (default: detected per text).")
    ] = None,
) -> None:
    """Redact personal data from standard input to standard output, with the ingestion redactor."""
    from ingest.components import build_redactor

    settings = _settings()
    try:
        redactor = build_redactor(settings)
        if not jsonl:
            sys.stdout.write(redactor.redact(sys.stdin.read(), language).text)
            return
        for text in _jsonl_texts():
            result = redactor.redact(text, language)
            entities = [{"type": e.type, "start": e.start, "end": e.end} for e in result.entities]
            sys.stdout.write(json.dumps({"text": result.text, "entities": entities}, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    except EnclaveError as exc:
        raise _fail(exc) from exc


@app.command()
def documents(
    collection: CollectionOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """List ingested documents with their status, chunks and redaction counts."""
    from ingest.ledger import Ledger

    settings = _settings()
    entries = Ledger(settings.ledger_path).entries(collection=collection)
    if as_json:
        rows = [
            {
                "collection": e.collection,
                "document_id": e.document_id,
                "source": e.source,
                "status": e.status,
                "kind": e.kind,
                "pages": e.pages,
                "chunks": e.chunk_count,
                "redactions": e.redactions,
                "reason": e.reason,
            }
            for e in entries
        ]
        out.print_json(json.dumps(rows))
        return
    table = Table(title="Documents")
    for column in ("collection", "source", "status", "kind", "pages", "chunks", "redacted", "reason"):
        table.add_column(column)
    for e in entries:
        redacted = ", ".join(f"{k} {v}" for k, v in sorted(e.redactions.items()))
        table.add_row(
            e.collection,
            e.source,
            e.status,
            e.kind or "",
            str(e.pages),
            str(e.chunk_count),
            redacted,
            e.reason or "",
        )
    out.print(table)


@app.command()
def check(
    collection: CollectionOption = None,
    fix: Annotated[
        bool, typer.Option("--repair", help="Delete orphans and re-queue damaged documents for the next ingest.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """Check that the ledger, the vector store and the lexical index agree (exit 1 if they do not).

    Finds vectors and lexical rows no ingested document accounts for, documents whose chunks are
    missing, and documents left pending by an interrupted run. With --repair (under the writer lock)
    orphans are deleted and damaged documents marked pending, so the next `enclave ingest` redoes them.
    """
    from ingest.check import check_consistency, repair
    from ingest.ledger import Ledger
    from ingest.lock import embedded_store_owner, store_write_lock
    from rag.lexical import LexicalIndex
    from rag.store import ChromaStore, open_chroma_client, validate_collection_name

    settings = _settings()
    try:
        if collection is not None:
            validate_collection_name(collection)
        # Only --repair writes; it owns the embedded store for the run, so a running server stops it (exit 2).
        with embedded_store_owner(settings) if fix else nullcontext(), ExitStack() as opened:
            ledger = Ledger(settings.ledger_path)
            opened.callback(ledger.close)
            # Checking reads ids, not chunk texts: the store needs no text lookup.
            store = ChromaStore(open_chroma_client(settings.store_dir, settings.chroma_url, settings.chroma_token))
            opened.callback(store.close)
            report = check_consistency(ledger, store, settings.lexical_path, collection)
            repaired = None
            if fix and not report.consistent:
                with store_write_lock(settings.lock_path, settings.lock_timeout_seconds):
                    # Checked again under the lock: an ingest may have finished in between.
                    report = check_consistency(ledger, store, settings.lexical_path, collection)
                    lexical = LexicalIndex(settings.lexical_path)
                    opened.callback(lexical.close)
                    repaired = repair(report, ledger, store, lexical)
                after = check_consistency(ledger, store, settings.lexical_path, collection)
    except EnclaveError as exc:
        raise _fail(exc) from exc
    if as_json:
        payload: dict[str, Any] = {"report": report.to_dict()}
        if repaired is not None:
            payload["repair"] = repaired.to_dict()
            payload["after_repair"] = after.to_dict()
        out.print_json(json.dumps(payload))
    else:
        _print_check_report(report)
        if repaired is not None:
            out.print(
                f"repaired: {repaired.vectors_deleted} vectors and {repaired.lexical_rows_deleted} lexical rows "
                f"deleted; {len(repaired.requeued)} documents queued for the next `enclave ingest`"
            )
    if repaired is not None:
        if not after.consistent_but_queued:
            raise typer.Exit(code=1)
    elif not report.consistent:
        raise typer.Exit(code=1)


def _print_check_report(report: Any) -> None:
    out.print(
        f"{report.documents} documents in {len(report.collections)} collections ({report.done} done, "
        f"{report.failed} failed); {report.vectors} vectors, {report.lexical_rows} lexical rows"
    )
    if report.consistent:
        out.print("[green]consistent[/]: the ledger, the vector store and the lexical index agree")
        return
    for orphans in report.orphans:
        out.print(
            f"[red]orphan[/] {orphans.collection}/{orphans.document_id}: {len(orphans.vector_ids)} vectors, "
            f"{len(orphans.lexical_ids)} lexical rows that no ingested document accounts for"
        )
    for problem in report.documents_with_problems:
        out.print(
            f"[red]{problem.problem}[/] {problem.collection}/{problem.source}: ledger {problem.status} with "
            f"{problem.expected} chunks; {problem.vectors} vectors, {problem.lexical} lexical rows",
            highlight=False,
        )
    out.print("run `enclave check --repair`, then `enclave ingest` on the same folders")


def _answer_services(settings: Settings) -> tuple[Any, Any]:
    """The answer and ticket services, for CLI verbs that do not start a server."""
    from api.services import Services

    services = Services.load(settings)
    return services.answers, services.tickets


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for (redacted before it is searched).")],
    collection: CollectionOption = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=50, help="Results to return.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source path.")] = None,
    mode: Annotated[
        SearchMode, typer.Option(help="hybrid: dense and lexical rankings fused; dense or lexical: one alone.")
    ] = SearchMode.HYBRID,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Search a collection: dense and lexical rankings fused (or one of them alone), best first."""
    from ingest.components import build_redactor
    from rag.answer import validate_text
    from rag.components import load_embedder, open_store
    from rag.lexical import LexicalIndex
    from rag.retriever import HybridRetriever, SearchFilters, require_collection
    from rag.store import validate_collection_name

    settings = _settings()
    name = collection or settings.default_collection
    try:
        validate_collection_name(name)
        store = open_store(settings)
        # Before the models load (seconds): an unknown collection is an error in every mode.
        require_collection(store, name)
        redacted = build_redactor(settings).redact(validate_text(query, "query", settings.max_question_chars)).text
        retriever = HybridRetriever(
            load_embedder(settings),
            store,
            # One search: building the in-memory ranking of a large store would cost more than it saves.
            LexicalIndex(settings.lexical_path, in_memory_min_chunks=sys.maxsize),
            candidates=settings.retrieval_candidates,
        )
        try:
            hits = retriever.search(redacted, name, top_k or settings.top_k, SearchFilters(source=source), mode=mode)
        finally:
            retriever.close()
    except EnclaveError as exc:
        raise _fail(exc) from exc
    results = [
        {
            "source": h.source,
            "page": h.page,
            "chunk_id": h.chunk_id,
            "score": round(h.score, 6),
            "similarity": h.metadata.get("similarity"),
            "text": h.text,
        }
        for h in hits
    ]
    if as_json:
        out.print_json(json.dumps({"query": redacted, "results": results}, ensure_ascii=False))
        return
    for rank, result in enumerate(results, start=1):
        out.print(f"[bold]{rank}.[/] {result['source']} p.{result['page']}  score {result['score']:.4f}")
        out.print(f"   {' '.join(str(result['text']).split())[:300]}", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question (redacted before it is searched or prompted).")],
    collection: CollectionOption = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=20, help="Sources in the prompt.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Answer a question from a collection: the quoted evidence first, then an answer checked against it.

    Quote-first (ENCLAVE_ANSWER_MODE): the sentences of the sources that answer the question are quoted
    verbatim with their source and page; a short written answer follows only if every value it states is in
    those quotes, in the same place. Otherwise the quotes stand alone, marked "not checked" with the reason.
    """
    settings = _settings()
    try:
        answers, _ = _answer_services(settings)
        answer = answers.ask(question, collection or settings.default_collection, top_k)
    except EnclaveError as exc:
        raise _fail(exc) from exc
    if as_json:
        from dataclasses import asdict

        out.print_json(json.dumps(asdict(answer), ensure_ascii=False))
        return
    for quote in answer.evidence:
        where = quote.location or f"page {quote.page}"
        out.print(f'[{quote.n}] "{quote.text}" ({quote.source}, {where})', highlight=False)
    check = "checked against the sources" if answer.verified else f"not checked: {answer.reason or 'no answer'}"
    out.print(f"{answer.answer}  ({check})" if answer.evidence else answer.answer, highlight=False)
    for citation in answer.citations:
        mark = "*" if citation.cited else " "
        where = citation.location or f"page {citation.page}"
        out.print(f"{mark}[{citation.n}] {citation.source}, {where}", highlight=False)


def _jsonl_texts() -> Iterator[str]:
    """The ``text`` of each JSON Lines record on stdin, one at a time; a bad line stops with exit code 2."""
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise TypeError("not an object with a string 'text'")
        except (json.JSONDecodeError, TypeError) as exc:
            console.print(f"[red]line {number}:[/] expected a JSON object with a string 'text' ({exc})")
            raise typer.Exit(code=2) from exc
        yield record["text"]


@app.command()
def classify(
    labels: Annotated[str, typer.Option("--labels", "-l", help="Comma-separated labels, e.g. billing,technical.")],
    multi_label: Annotated[bool, typer.Option("--multi-label", help="Return every label above chance.")] = False,
) -> None:
    """Classify tickets read as JSON Lines ({"text": ...}) from stdin; one JSON result per line."""
    settings = _settings()
    label_list = [label for label in labels.split(",") if label.strip()]
    try:
        _, tickets = _answer_services(settings)
        for text in _jsonl_texts():
            result = tickets.classify(text, label_list, multi_label)
            row = {"label": result.label, "labels": result.labels, "scores": result.scores}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    except EnclaveError as exc:
        raise _fail(exc) from exc


@app.command()
def summarize(
    max_words: Annotated[int, typer.Option("--max-words", min=5, max=300, help="Words per summary at most.")] = 60,
) -> None:
    """Summarize tickets read as JSON Lines ({"text": ...}) from stdin; one JSON result per line."""
    settings = _settings()
    try:
        _, tickets = _answer_services(settings)
        for text in _jsonl_texts():
            summary = tickets.summarize(text, max_words).summary
            sys.stdout.write(json.dumps({"summary": summary}, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    except EnclaveError as exc:
        raise _fail(exc) from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: ENCLAVE_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: ENCLAVE_PORT, 8000).")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI schema at /schema/openapi.json). Loads every model before listening."""

    import uvicorn

    from api.app import create_app
    from api.keys import KeyStore
    from api.services import Services
    from rag.egress import installed_guard

    settings = _settings()
    bind_host = host or settings.host
    bind_port = port or settings.port
    # Said first, before anything else can stop the start: an operator must see it in every start's log.
    if installed_guard() is None:
        logging.getLogger("enclave").warning(
            "the egress guard is OFF (ENCLAVE_EGRESS_GUARD=off): outbound connections are not refused"
        )
    # Said at start for the operator; the running server also refuses every request (401) whenever no key is
    # active while it listens beyond loopback, however the keys went (revoked, file deleted or emptied).
    try:
        exposed = not is_loopback_host(bind_host) and not KeyStore(settings.keys_path).has_active_keys()
    except EnclaveError as exc:
        raise _fail(exc) from exc
    if exposed:
        console.print(
            f"[bold red]refusing to start:[/] binding to {bind_host} would expose Enclave beyond this machine, and "
            "no API key is configured, so anyone who can reach it could read every collection. Create a key "
            "first: enclave keys create --collections '*' --role admin"
        )
        raise typer.Exit(code=2)
    try:
        with console.status("Loading models..."):
            services = Services.load(settings)
        # Before warming up: a data dir whose embedded store another process writes is refused in one line.
        services.own_store()
        with console.status("Warming up the models..."):
            services.warm_up()
    except EnclaveError as exc:
        raise _fail(exc) from exc
    console.print(f"Enclave serving on http://{bind_host}:{bind_port} (data dir {settings.data_dir})")
    # Keep-alive longer than clients' pools keep idle connections (httpx 5 s, nginx 60 s): with uvicorn's
    # default of 5 s a client may reuse a connection the server is closing, and its request fails.
    uvicorn.run(
        create_app(services, bind_host=bind_host),
        host=bind_host,
        port=bind_port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=65,
    )


@app.command("chroma-gateway")
def chroma_gateway(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8001,
) -> None:
    """Serve a token-checking gateway in front of the Chroma server at ENCLAVE_CHROMA_URL.

    Chroma's 1.x server has no authentication of its own: put it on a network only this gateway joins,
    and point Enclave's ENCLAVE_CHROMA_URL at the gateway. Requests must carry ENCLAVE_CHROMA_TOKEN as
    "Authorization: Bearer" (or "X-Chroma-Token"); others get 401 and never reach Chroma.
    """
    import uvicorn

    from api.chroma_gateway import ChromaGateway

    settings = _settings()
    if not settings.chroma_url or not settings.chroma_token:
        console.print(
            "[bold red]refusing to start:[/] the gateway forwards to ENCLAVE_CHROMA_URL and requires "
            "ENCLAVE_CHROMA_TOKEN; set both (the token is the one Enclave's API and ingest job send)"
        )
        raise typer.Exit(code=2)
    console.print(f"Chroma gateway on http://{host}:{port} -> {settings.chroma_url} (token required)")
    gateway = ChromaGateway(settings.chroma_url, settings.chroma_token)
    uvicorn.run(gateway, host=host, port=port, log_level="warning", access_log=False)


keys_app = typer.Typer(help="API keys: create, list, revoke. Only salted hashes are stored.", no_args_is_help=True)
audit_app = typer.Typer(
    help="The audit trail: verify its keyed MAC chain, rotate its key, show its records.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")


@keys_app.command("create")
def keys_create(
    collections: Annotated[str, typer.Option(help="Comma-separated collections this key may use, or '*' for all.")],
    role: Annotated[
        str, typer.Option(help="reader (search, ask, tickets), ingester (+ documents) or admin.")
    ] = "reader",
    label: Annotated[str, typer.Option(help="A note saying whose key this is.")] = "",
) -> None:
    """Create a key and print its token once: it is not stored and cannot be shown again."""
    from api.keys import KeyStore

    settings = _settings()
    try:
        key, token = KeyStore(settings.keys_path).create(
            role, [c.strip() for c in collections.split(",") if c.strip()], label
        )
    except EnclaveError as exc:
        raise _fail(exc) from exc
    console.print(f"created key {key.id} ({key.role}; collections {', '.join(key.collections)}). Its token:")
    out.print(token, highlight=False)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False) -> None:
    """List keys (never their tokens)."""
    from api.keys import KeyStore

    settings = _settings()
    try:
        keys = KeyStore(settings.keys_path).keys()
    except EnclaveError as exc:
        raise _fail(exc) from exc
    if as_json:
        rows = [
            {
                "id": k.id,
                "role": k.role,
                "collections": k.collections,
                "label": k.label,
                "created_at": k.created_at,
                "revoked_at": k.revoked_at,
            }
            for k in keys
        ]
        out.print_json(json.dumps(rows))
        return
    table = Table(title="API keys")
    for column in ("id", "role", "collections", "label", "created", "revoked"):
        table.add_column(column)
    for k in keys:
        table.add_row(k.id, k.role, ", ".join(k.collections), k.label, k.created_at, k.revoked_at or "")
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The id shown by 'enclave keys list'.")]) -> None:
    """Revoke a key; a running server refuses it from its next request."""
    from api.keys import KeyStore

    settings = _settings()
    try:
        key = KeyStore(settings.keys_path).revoke(key_id)
    except EnclaveError as exc:
        raise _fail(exc) from exc
    console.print(f"revoked key {key.id} at {key.revoked_at}")


# Help texts of one line per paragraph: Typer keeps a docstring's line breaks as they are.
_AUDIT_VERIFY_HELP = (
    "Check the audit trail's chain of keyed MACs (HMAC-SHA256); exit 1 on any problem found.\n\n"
    "What it proves: no record was changed, removed, inserted or reordered, and the end of the log was not cut "
    "off, by anyone without the key, which lives in the audit key file (ENCLAVE_AUDIT_KEY_PATH, by default "
    "audit.key in the data dir; keep it where those who can write the log cannot read it).\n\n"
    "What it cannot prove: anything against someone who can read the key file (they can rewrite the log and "
    "sign it again), nor that the whole log and its head file were not deleted, or both put back as an older "
    "copy. Records from before the trail had a key are reported as unkeyed: their plain hashes prove nothing."
)
_AUDIT_ROTATE_HELP = (
    "Sign the audit trail with a new key from now on; print its id.\n\n"
    "The older keys stay in the key file, by id, so the records they signed still verify. Rotate when a copy "
    "of the key file may have leaked (a backup, a former operator): whoever holds only an old key cannot "
    "rewrite the records signed before the rotation, nor cut the log back to them, without it showing. A "
    "running server signs with the new key from its next record."
)


@audit_app.command("verify", help=_AUDIT_VERIFY_HELP)
def audit_verify() -> None:
    """Check the audit trail's keyed MAC chain (what it proves and cannot: ``_AUDIT_VERIFY_HELP``)."""
    from api.audit import AuditLog

    settings = _settings()
    log = AuditLog(settings.audit_path, settings.audit_key_path)
    problems = log.verify()
    count = sum(1 for _ in log.records())
    if problems:
        for problem in problems:
            console.print(f"[red]{escape(problem)}[/]", highlight=False)
        raise typer.Exit(code=1)
    console.print(f"audit trail intact: {count} records, MACs checked with {log.key_path}", highlight=False)


@audit_app.command("rotate-key", help=_AUDIT_ROTATE_HELP)
def audit_rotate_key() -> None:
    """Sign the audit trail with a new key from now on (see ``_AUDIT_ROTATE_HELP``)."""
    from api.audit import AuditLog

    settings = _settings()
    log = AuditLog(settings.audit_path, settings.audit_key_path)
    try:
        key_id = log.rotate_key()
    except EnclaveError as exc:
        raise _fail(exc) from exc
    console.print(f"the audit trail is signed with key {key_id} from now on ({log.key_path})", highlight=False)


@audit_app.command("show")
def audit_show(
    since: Annotated[
        str | None, typer.Option(help="Only records from this time on: ISO date/time, or an age like 2h or 7d.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
) -> None:
    """Print the audit trail (redacted questions, chunk ids, statuses; never raw personal data)."""
    from api.audit import AuditLog

    settings = _settings()
    try:
        start = parse_since(since) if since else None
    except InvalidInputError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    for record in AuditLog(settings.audit_path, settings.audit_key_path).records(start):
        if as_json:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            question = f" {record['question']!r}" if record.get("question") else ""
            # .get: records of the trail's own events (a key rotation) have no status.
            out.print(
                f"{record['time']} {record.get('key_id', '-')} {record.get('method', '-')} {record.get('route', '-')} "
                f"{record.get('status', '-')} {record.get('collection', '-')}{question}",
                highlight=False,
            )


eval_app = typer.Typer(help="Measure Enclave's stages on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("redaction")
def eval_redaction(
    dataset: Annotated[
        Path, typer.Option("--dataset", exists=True, dir_okay=False, help="Labelled JSON (presidio-research format).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    language: Annotated[
        str | None, typer.Option("--language", "-l", help="Language code (default: detected per text).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N records.")] = None,
) -> None:
    """Leak rate per entity type and over-redaction of the ingestion redactor on a labelled data set.

    A labelled token is leaked when some of its characters are not inside a span the redactor
    reported; an unlabelled token is over-redacted when any of its characters is. Types Enclave keeps
    on purpose (dates, places, organizations...) count as neither. See ingest/redaction/evaluation.py.
    """
    from ingest.components import build_redactor
    from ingest.redaction import evaluate, load_records

    settings = _settings()
    try:
        records = load_records(dataset)[:limit]
    except (ValueError, KeyError, TypeError) as exc:
        console.print(f"[bold red]error:[/] {dataset} is not a labelled data set ({exc})")
        raise typer.Exit(code=2) from exc
    try:
        with console.status("Loading models..."):
            redactor = build_redactor(settings)
        with _progress() as progress:
            task = progress.add_task("redacting", total=len(records), current="")
            report = evaluate(redactor, records, language, on_record=lambda: progress.advance(task))
    except EnclaveError as exc:
        raise _fail(exc) from exc
    if as_json:
        out.print_json(json.dumps(report.to_json()))
        return
    _print_redaction_report(report.to_json())


def _print_redaction_report(summary: dict[str, Any]) -> None:
    table = Table(title=f"Redaction on {summary['records']} records ({summary['seconds']} s)")
    table.add_column("entity type")
    for column in ("tokens", "leaked", "leak rate"):
        table.add_column(column, justify="right")
    for name, row in summary["entities"].items():
        table.add_row(name, str(row["tokens"]), str(row["leaked"]), f"{row['leak_rate']:.1%}")
    over = summary["over_redaction"]
    table.add_section()
    table.add_row(
        "over-redaction (unlabelled)", str(over["unlabelled_tokens"]), str(over["over_redacted"]), f"{over['rate']:.1%}"
    )
    out.print(table)
    kept = ", ".join(f"{name} ({row['tokens']} tokens)" for name, row in summary["not_redacted_by_design"].items())
    if kept:
        out.print(f"Not redacted by design, counted neither way: {kept}")


@eval_app.command("retrieval")
def eval_retrieval(
    corpus: Annotated[Path, typer.Option("--corpus", exists=True, dir_okay=False, help="BEIR corpus.jsonl.")],
    queries: Annotated[Path, typer.Option("--queries", exists=True, dir_okay=False, help="BEIR queries.jsonl.")],
    qrels: Annotated[
        Path, typer.Option("--qrels", exists=True, dir_okay=False, help="BEIR qrels TSV, with a header line.")
    ],
    collection: Annotated[
        str, typer.Option("--collection", "-c", help="Collection to ingest the corpus into.")
    ] = "beir",
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", file_okay=False, help="Keep the evaluation's store here (default: a temporary one)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    redaction: Annotated[
        bool,
        typer.Option(
            "--redaction/--no-redaction",
            help="--no-redaction ingests and searches the texts as they are, to weigh what redaction costs "
            "retrieval (in the evaluation's own store only).",
        ),
    ] = True,
) -> None:
    """nDCG@10, recall@10 and recall@100 of dense, lexical and fused search on a BEIR-layout data set.

    Each corpus entry is ingested as one document through the real pipeline (redaction on) into a data
    dir of the evaluation's own, never ENCLAVE_DATA_DIR's store; each query is redacted and searched at
    depth 100, a document ranking where its best chunk does. See rag/retrieval_eval.py.
    """
    import tempfile
    from contextlib import ExitStack

    from ingest.components import build_pipeline, build_redactor
    from ingest.lock import store_write_lock
    from ingest.redaction import UnredactedText
    from rag.components import load_embedder, open_store
    from rag.retrieval_eval import DEPTH, evaluate, load_beir
    from rag.retriever import HybridRetriever
    from rag.store import validate_collection_name

    settings = _settings()
    _refuse_the_users_store(settings, data_dir)
    with ExitStack() as stack:
        where = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="enclave-eval-")))
        # Local vectors too: a configured Chroma server is the user's store as well.
        eval_settings = load_settings(data_dir=where, chroma_url=None, chroma_token=None)
        try:
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
            with lock, _progress() as progress:
                ingesting = progress.add_task("ingesting", total=len(dataset.corpus), current="")
                searching = progress.add_task("searching", total=len(dataset.judged_queries()), current="")
                report = evaluate(
                    dataset,
                    ingester=pipeline,
                    searcher=retriever,
                    redactor=redactor,
                    collection=collection,
                    on_entry=lambda: progress.advance(ingesting),
                    on_query=lambda: progress.advance(searching),
                )
        except EnclaveError as exc:
            raise _fail(exc) from exc
    summary = {**report.to_json(), "redaction": redaction}
    if as_json:
        out.print_json(json.dumps(summary))
        return
    table = Table(
        title=f"Retrieval on {summary['corpus']} documents, {summary['judged_queries']} judged queries "
        f"(ingested in {summary['ingest_seconds']} s{'' if redaction else ', redaction off'})"
    )
    table.add_column("mode")
    for column in ("nDCG@10", "recall@10", "recall@100", "search s"):
        table.add_column(column, justify="right")
    for mode, scores in summary["modes"].items():
        name = "fused (hybrid)" if mode == "hybrid" else f"{mode} only"
        table.add_row(
            name,
            f"{scores['ndcg@10']:.4f}",
            f"{scores['recall@10']:.4f}",
            f"{scores['recall@100']:.4f}",
            f"{scores['seconds']:.2f}",
        )
    out.print(table)
    for corpus_id, reason in summary["failed"].items():
        out.print(f"[yellow]not ingested:[/] {corpus_id}: {reason}", highlight=False)


@eval_app.command("answers")
def eval_answers(
    dataset: Annotated[
        Path,
        typer.Option("--dataset", exists=True, dir_okay=False, help="JSON Lines of question, answer, context, title."),
    ],
    withhold_every: Annotated[
        int, typer.Option("--withhold-every", min=0, help="Withhold every Nth context (0: none).")
    ] = 5,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", file_okay=False, help="Keep the evaluation's store here (default: a temporary one)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """Ask every question of a SQuAD-style set and score the answers (see rag/answer_eval.py).

    Each distinct context is ingested as one document through the real pipeline, redaction on, into a data
    dir of the evaluation's own (never ENCLAVE_DATA_DIR's store); every Nth is withheld, and its questions
    should get "the documents do not say". Reports the gold passage in the top 3 citations, evidence and
    answer containing the gold answer, answers stating a wrong value, "do not say" on withheld contexts, and
    seconds per question.
    """
    import tempfile
    from contextlib import ExitStack

    from api.services import Services
    from ingest.lock import store_write_lock
    from rag.answer_eval import evaluate_answers, load_qa

    settings = _settings()
    _refuse_the_users_store(settings, data_dir)
    with ExitStack() as stack:
        where = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="enclave-eval-")))
        where.mkdir(parents=True, exist_ok=True)
        eval_settings = settings.model_copy(
            update={"data_dir": where, "chroma_url": None, "chroma_token": None, "default_collection": "qa"}
        )
        try:
            rows = load_qa(dataset)
            with console.status("Loading models..."):
                services = Services.load(eval_settings)
            lock = store_write_lock(eval_settings.lock_path, eval_settings.lock_timeout_seconds)
            with lock, _progress() as progress:
                task = progress.add_task("asking", total=len(rows), current="")
                report = evaluate_answers(
                    rows,
                    ingester=services.pipeline,
                    answerer=services.answers,
                    collection="qa",
                    withhold_every=withhold_every,
                    on_question=lambda: progress.advance(task),
                )
        except EnclaveError as exc:
            raise _fail(exc) from exc
    summary = report.to_json()
    if as_json:
        out.print_json(json.dumps(summary, ensure_ascii=False))
        return
    table = Table(
        title=f"Answers to {report.questions} questions ({report.answerable} answerable, {report.withheld} withheld)"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in (
        ("gold passage in the top 3 citations", f"{report.gold_in_top3:.2f}"),
        ("evidence contains the gold answer", f"{report.evidence_has_gold:.2f}"),
        ("answer contains the gold answer", f"{report.answer_has_gold:.2f}"),
        ("written answer checked", f"{report.verified:.2f}"),
        ("answers stating a wrong value", f"{report.wrong_value_rate:.1%}"),
        ('"do not say" on withheld contexts', f"{report.do_not_say_on_withheld:.2f}"),
        ("seconds per question, mean / p95", f"{report.seconds_mean:.2f} / {report.seconds_p95:.2f}"),
    ):
        table.add_row(name, value)
    out.print(table)


def _refuse_the_users_store(settings: Settings, data_dir: Path | None) -> None:
    """An evaluation ingests into a data dir of its own: never the one ENCLAVE_DATA_DIR names (exit 2)."""
    if data_dir is not None and data_dir.resolve() == settings.data_dir.resolve():
        console.print(
            "[bold red]error:[/] --data-dir must not be ENCLAVE_DATA_DIR: the evaluation keeps off your store"
        )
        raise typer.Exit(code=2)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
