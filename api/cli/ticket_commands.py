"""The ticket commands: classify and summarize tickets read as JSON Lines, one JSON result per line."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import cli_settings, failure_exit, jsonl_texts, write_json_line
from api.cli.wiring import answer_services
from rag.errors import EnclaveError

# Registered without a name (api/cli/root.py): these commands are top-level verbs of `enclave`.
commands = typer.Typer()


@commands.command("classify")
def classify(
    labels: Annotated[str, typer.Option("--labels", "-l", help="Comma-separated labels, e.g. billing,technical.")],
    multi_label: Annotated[bool, typer.Option("--multi-label", help="Return every label above chance.")] = False,
) -> None:
    """Classify tickets read as JSON Lines ({"text": ...}) from stdin; one JSON result per line."""
    settings = cli_settings()
    label_list = [label for label in labels.split(",") if label.strip()]
    try:
        _, tickets = answer_services(settings)
        for text in jsonl_texts():
            result = tickets.classify(text, label_list, multi_label)
            write_json_line({"label": result.label, "labels": result.labels, "scores": result.scores})
    except EnclaveError as exc:
        raise failure_exit(exc) from exc


@commands.command("summarize")
def summarize(
    max_words: Annotated[int, typer.Option("--max-words", min=5, max=300, help="Words per summary at most.")] = 60,
) -> None:
    """Summarize tickets read as JSON Lines ({"text": ...}) from stdin; one JSON result per line."""
    settings = cli_settings()
    try:
        _, tickets = answer_services(settings)
        for text in jsonl_texts():
            write_json_line({"summary": tickets.summarize(text, max_words).summary})
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
