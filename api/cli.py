"""The ``enclave`` command line: one CLI, one verb per job."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import rag  # noqa: F401  (sets the offline switches before any model library is imported)
from rag.errors import EnclaveError
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
    return load_settings()


def _fail(exc: EnclaveError) -> typer.Exit:
    console.print(f"[bold red]error:[/] {exc.detail}")
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
    from ingest.components import build_pipeline, build_redactor
    from ingest.lock import store_write_lock
    from rag.components import load_embedder, open_store
    from rag.store import validate_collection_name

    settings = _settings()
    name = collection or settings.default_collection
    try:
        validate_collection_name(name)
        with console.status("Loading models..."):
            redactor = build_redactor(settings)
            embedder = load_embedder(settings)
            store = open_store(settings)
        pipeline = build_pipeline(settings, redactor=redactor, embedder=embedder, store=store)
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
    from ingest.lock import store_write_lock
    from rag.components import load_embedder, open_store

    settings = _settings()
    name = collection or settings.default_collection
    try:
        pipeline = build_pipeline(
            settings,
            redactor=build_redactor(settings),
            embedder=load_embedder(settings),
            store=open_store(settings),
        )
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
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = record["text"]
                if not isinstance(text, str):
                    raise TypeError("text is not a string")
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                console.print(f"[red]line {number}:[/] expected a JSON object with a string 'text' ({exc})")
                raise typer.Exit(code=2) from exc
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
