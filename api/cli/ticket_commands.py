"""The ticket commands: classify and summarize tickets read as JSON Lines, one JSON result per line."""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import cli_settings, failure_exit, jsonl_texts, write_json_line
from api.cli.wiring import answer_services, ticket_service
from rag.errors import EnclaveError, InvalidInputError

if TYPE_CHECKING:  # deferred: heavy (jinja2 through rag.answer); annotations only
    from rag.tickets import ClassifyOptions, TicketService

BATCH = 64  # tickets redacted and embedded together

# Registered without a name (api/cli/root.py): these commands are top-level verbs of `enclave`.
commands = typer.Typer()


@commands.command("classify")
def classify(
    labels: Annotated[
        str | None, typer.Option("--labels", "-l", help="Comma-separated labels, e.g. billing,technical.")
    ] = None,
    labelset: Annotated[
        str | None, typer.Option("--labelset", help="A stored label set (`enclave labels`) instead of --labels.")
    ] = None,
    multi_label: Annotated[bool, typer.Option("--multi-label", help="Return every label above chance.")] = False,
    min_confidence: Annotated[
        float,
        typer.Option(
            "--min-confidence", min=0.0, max=1.0, help="Below this confidence the label is null (for a human)."
        ),
    ] = 0.0,
    rerank_with_llm: Annotated[
        bool,
        typer.Option("--rerank-with-llm", help="Let the language model vote too (about a second a ticket)."),
    ] = False,
) -> None:
    """Classify tickets read as JSON Lines ({"text": ...}) from stdin; one JSON result per line.

    Each result holds the label (null below --min-confidence), its confidence (a calibrated probability)
    and the scores of the best labels. Without --rerank-with-llm the language model is not loaded.
    """
    from rag.tickets import ClassifyOptions  # deferred: heavy (jinja2 through rag.answer)

    settings = cli_settings()
    label_list = [label for label in labels.split(",") if label.strip()] if labels is not None else None
    options = ClassifyOptions(
        labels=label_list,
        labelset=labelset,
        multi_label=multi_label,
        min_confidence=min_confidence,
        rerank_with_llm=rerank_with_llm,
    )
    try:
        if (labels is None) == (labelset is None):
            raise InvalidInputError("give either --labels or --labelset")
        tickets = ticket_service(settings, with_language_model=rerank_with_llm)
        tickets.classify_many([], options)  # bad labels or an unknown label set: exit 2 before reading stdin
        texts = jsonl_texts()
        while batch := list(islice(texts, BATCH)):
            for line in classify_batch(tickets, batch, options):
                write_json_line(line)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc


def classify_batch(tickets: TicketService, texts: list[str], options: ClassifyOptions) -> list[dict[str, object]]:
    """One result per ticket, in order; a ticket that cannot be classified (empty, too long) gets
    ``{"error": ...}`` and the others go on."""
    try:
        return [result.to_dict() for result in tickets.classify_many(texts, options)]
    except InvalidInputError:
        pass  # a ticket of the batch is bad (the options were checked before the first batch): one at a time
    lines: list[dict[str, object]] = []
    for text in texts:
        try:
            lines.extend(result.to_dict() for result in tickets.classify_many([text], options))
        except InvalidInputError as exc:
            lines.append({"error": exc.detail})
    return lines


@commands.command("summarize")
def summarize(
    max_words: Annotated[int, typer.Option("--max-words", min=5, max=300, help="Words per summary at most.")] = 60,
) -> None:
    """Summarize tickets read as JSON Lines ({"text": ...}) from stdin; one JSON result per line."""
    settings = cli_settings()
    try:
        _, tickets = answer_services(settings)
        for text in jsonl_texts():
            summary = tickets.summarize(text, max_words)
            write_json_line({"summary": summary.summary, "removed": summary.removed})
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
