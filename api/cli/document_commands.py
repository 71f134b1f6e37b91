"""The commands that write, list and check a collection's documents: ingest, forget, redact, documents, check."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import (
    CollectionOption,
    LanguageOption,
    cli_settings,
    console,
    failure_exit,
    jsonl_texts,
    out,
    print_json,
    write_json_line,
)
from api.cli.wiring import check_store, forget_paths, ingest_paths
from api.keys import KeyStore
from ingest.check import CheckReport
from ingest.ledger import Ledger
from ingest.permissions.coverage import UnheldPrincipal, unheld_principals
from rag.errors import EnclaveError
from rag.settings import Settings
from rag.types import IngestExecutor

# Registered without a name (api/cli/root.py): these commands are top-level verbs of `enclave`.
commands = typer.Typer()


@commands.command("ingest")
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest (folders recursively).")],
    collection: CollectionOption = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Forget documents of these folders whose files are gone.")
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero if any file failed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    access_map: Annotated[
        Path | None,
        typer.Option(
            "--access-map",
            help="A TOML file of path globs to principals that says who may read each file, for drives whose "
            "permissions did not survive the copy (default: ENCLAVE_ACCESS_MAP, else each file's owner, group, "
            "mode bits and ACLs).",
        ),
    ] = None,
    executor: Annotated[
        IngestExecutor | None,
        typer.Option(
            "--executor",
            help="What prepares (loads, redacts, chunks, embeds) the files: local: worker processes on this machine "
            "(ENCLAVE_INGEST_WORKERS, default one per core); dask: a Dask cluster at ENCLAVE_DASK_SCHEDULER, else "
            "one started on loopback (needs the dask extra). Default: ENCLAVE_INGEST_EXECUTOR, else local.",
            case_sensitive=False,
        ),
    ] = None,
) -> None:
    """Load, redact, chunk, embed and store documents; unchanged files are skipped by content hash.

    PDF, plain text, Markdown, HTML and e-mail (.eml) are detected from their content. A file that
    cannot be ingested is reported with its reason and the run goes on. Running again after a crash
    or Ctrl-C completes the work without duplicates.

    Each document records who may read it, from the file's permissions (or the access map); when only
    the permissions of an unchanged file changed, they are updated without re-embedding it.
    """
    settings = cli_settings()
    try:
        report = ingest_paths(
            settings,
            paths,
            collection or settings.default_collection,
            prune=prune,
            access_map=access_map,
            executor=executor,
        )
    except EnclaveError as exc:
        raise failure_exit(exc) from exc

    summary = report.to_dict()
    if as_json:
        print_json(summary)
    else:
        _print_ingest_summary(summary)
    files = summary["files"]
    assert isinstance(files, dict)
    ingested = files["new"] + files["changed"] + files["skipped"] + files["permissions-changed"]
    if (strict and files["failed"]) or (ingested == 0 and files["forgotten"] == 0):
        if ingested == 0 and not files["failed"]:
            console.print("[yellow]no files found to ingest[/]")
        raise typer.Exit(code=1)


def _print_ingest_summary(summary: dict[str, object]) -> None:
    files = summary["files"]
    stages = summary["stage_seconds"]
    redactions = summary["redactions"]
    failures = summary["failures"]
    assert isinstance(files, dict) and isinstance(stages, dict)
    assert isinstance(redactions, dict) and isinstance(failures, list)
    table = Table(title=f"Ingestion into collection '{summary['collection']}'", show_header=False)
    table.add_row("files", ", ".join(f"{count} {status}" for status, count in files.items()))
    kinds = summary.get("kinds")
    if isinstance(kinds, dict) and kinds:
        table.add_row("written by kind", ", ".join(f"{count} {kind}" for kind, count in kinds.items()))
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
    warnings = summary.get("warnings")
    for warning in warnings if isinstance(warnings, list) else []:
        out.print(f"[yellow]warning[/] {warning['source']}: {warning['warning']}")


@commands.command("forget")
def forget(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders whose documents to forget.")],
    collection: CollectionOption = None,
) -> None:
    """Remove every chunk and vector of these documents, and their ledger entries."""
    settings = cli_settings()
    name = collection or settings.default_collection
    try:
        outcomes = forget_paths(settings, paths, name)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if not outcomes:
        console.print(f"[yellow]nothing ingested from {', '.join(map(str, paths))} in collection '{name}'[/]")
        raise typer.Exit(code=1)
    for outcome in outcomes:
        out.print(f"forgot {outcome.source} ({outcome.chunks} chunks)")


@commands.command("redact")
def redact(
    jsonl: Annotated[
        bool,
        typer.Option("--jsonl", help='Read one {"text": ...} object per line; write text and entities per line.'),
    ] = False,
    language: LanguageOption = None,
) -> None:
    """Redact personal data from standard input to standard output, with the ingestion redactor."""
    from ingest.components import build_redactor  # deferred: heavy (torch, spaCy, Presidio)

    settings = cli_settings()
    try:
        redactor = build_redactor(settings)
        if not jsonl:
            sys.stdout.write(redactor.redact(sys.stdin.read(), language).text)
            return
        for text in jsonl_texts():
            result = redactor.redact(text, language)
            entities = [{"type": e.type, "start": e.start, "end": e.end} for e in result.entities]
            write_json_line({"text": result.text, "entities": entities})
    except EnclaveError as exc:
        raise failure_exit(exc) from exc


@commands.command("documents")
def documents(
    collection: CollectionOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """List ingested documents with their status, chunks, redaction counts and readers."""
    settings = cli_settings()
    entries = Ledger(settings.ledger_path).entries(collection=collection)
    if as_json:
        print_json(
            [
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
                    "readers": list(e.readers) if e.readers is not None else None,
                }
                for e in entries
            ]
        )
        return
    table = Table(title="Documents")
    for column in ("collection", "source", "status", "kind", "pages", "chunks", "redacted", "readers", "reason"):
        table.add_column(column)
    for e in entries:
        redacted = ", ".join(f"{k} {v}" for k, v in sorted(e.redactions.items()))
        readers = "unknown" if e.readers is None else ", ".join(e.readers) or "admins only"
        table.add_row(
            e.collection,
            e.source,
            e.status,
            e.kind or "",
            str(e.pages),
            str(e.chunk_count),
            redacted,
            readers,
            e.reason or "",
        )
    out.print(table)
    by_kind = Counter(e.kind or "unread" for e in entries)
    out.print(", ".join(f"{count} {kind}" for kind, count in sorted(by_kind.items())) or "no documents")


@commands.command("check")
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
    Also lists the principals that documents or the access map (ENCLAVE_ACCESS_MAP) name and that no
    active API key holds.
    """
    settings = cli_settings()
    try:
        outcome = check_store(settings, collection, fix=fix)
        unheld = _unheld(settings, collection)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    report, repaired, after = outcome.report, outcome.repaired, outcome.after_repair
    if as_json:
        payload: dict[str, Any] = {"report": report.to_dict(), "unheld_principals": [u.to_dict() for u in unheld]}
        if repaired is not None and after is not None:
            payload["repair"] = repaired.to_dict()
            payload["after_repair"] = after.to_dict()
        print_json(payload)
    else:
        _print_check_report(report)
        if repaired is not None:
            out.print(
                f"repaired: {repaired.vectors_deleted} vectors and {repaired.lexical_rows_deleted} lexical rows "
                f"deleted; {len(repaired.requeued)} documents queued for the next `enclave ingest`"
            )
    if not as_json:
        _print_unheld(unheld)
    if after is not None:
        if not after.consistent_but_queued:
            raise typer.Exit(code=1)
    elif not report.consistent:
        raise typer.Exit(code=1)


def _unheld(settings: Settings, collection: str | None) -> list[UnheldPrincipal]:
    """Principals that the collection's documents or the access map name and no active key holds."""
    from ingest.permissions import load_access_map

    access_map = load_access_map(settings.access_map) if settings.access_map is not None else None
    keys = KeyStore(settings.keys_path).keys()
    held = [p for key in keys if key.active for p in key.principals]
    ledger = Ledger(settings.ledger_path)
    try:
        entries = ledger.entries(collection=collection)
    finally:
        ledger.close()
    return unheld_principals(entries, access_map.principals() if access_map else (), held)


def _print_unheld(unheld: list[UnheldPrincipal]) -> None:
    for item in unheld:
        named = [f"{item.documents} documents"] if item.documents else []
        named += ["the access map"] if item.in_access_map else []
        out.print(
            f"[yellow]principal {item.principal}[/]: named by {' and '.join(named)}, held by no active API key "
            "(what only it may read is read by admins only; a misspelt group?)",
            highlight=False,
        )


def _print_check_report(report: CheckReport) -> None:
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
