"""What every group of ``enclave`` commands shares: the two consoles, the settings of a run, an error as one
line and exit code 2, the progress bar, JSON output and JSON Lines input."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import rag  # noqa: F401  (sets the offline switches before any model library is imported)
from rag.errors import ConfigurationError, EnclaveError
from rag.settings import Settings, load_settings

# Messages, spinners and progress go to stderr, so that stdout holds only the results (JSON can be piped).
console = Console(stderr=True)
out = Console()

CollectionOption = Annotated[
    str | None,
    typer.Option("--collection", "-c", help="Collection to use (default: ENCLAVE_DEFAULT_COLLECTION)."),
]
LanguageOption = Annotated[
    str | None, typer.Option("--language", "-l", help="Language code (default: detected per text).")
]


def cli_settings() -> Settings:
    """The settings of this run, with the model libraries' logging quieted; a bad ENCLAVE_* value exits (code 2)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("presidio-analyzer", "presidio-anonymizer", "sentence_transformers", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        return load_settings()
    except ConfigurationError as exc:  # a bad ENCLAVE_* value: one line and exit code 2 in every verb
        raise failure_exit(exc) from exc


def failure_exit(exc: EnclaveError) -> typer.Exit:
    """Print the error on one line of stderr (not wrapped to the terminal, brackets not read as markup); return
    the exit (code 2) for the caller to raise."""
    message = exc.detail + (f" ({exc.cause})" if exc.cause else "")
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code=2)


def progress_bar() -> Progress:
    """A transient progress bar on stderr, showing the item being worked on in its ``current`` field."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        console=console,
        transient=True,
    )


def print_json(payload: object) -> None:
    """Print ``payload`` as indented JSON on stdout."""
    out.print_json(json.dumps(payload, ensure_ascii=False))


def write_json_line(record: object) -> None:
    """Write ``record`` as one JSON line on stdout, flushed so that a reading pipe gets each result at once."""
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def jsonl_texts() -> Iterator[str]:
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
