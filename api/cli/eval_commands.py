"""The ``enclave eval`` group: measure redaction, retrieval and answers on labelled data, each in a store of the
evaluation's own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from api.cli.common import LanguageOption, cli_settings, console, failure_exit, out, print_json
from api.cli.evaluation_wiring import evaluate_answers, evaluate_redaction, evaluate_retrieval, load_labelled_records
from api.cli.wiring import label_set_service
from rag.errors import EnclaveError
from rag.settings import Settings

if TYPE_CHECKING:  # deferred: heavy (jinja2); annotations only
    from rag.answer_eval import AnswerReport

commands = typer.Typer(help="Measure Enclave's stages on labelled data.", no_args_is_help=True)

JsonReportOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", file_okay=False, help="Keep the evaluation's store here (default: a temporary one)."),
]


@commands.command("redaction")
def eval_redaction(
    dataset: Annotated[
        Path, typer.Option("--dataset", exists=True, dir_okay=False, help="Labelled JSON (presidio-research format).")
    ],
    as_json: JsonReportOption = False,
    language: LanguageOption = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N records.")] = None,
) -> None:
    """Leak rate per entity type and over-redaction of the ingestion redactor on a labelled data set.

    A labelled token is leaked when some of its characters are not inside a span the redactor
    reported; an unlabelled token is over-redacted when any of its characters is. Types Enclave keeps
    on purpose (dates, organizations...) count as neither; places count as ENCLAVE_REDACT_LOCATIONS
    says. See ingest/redaction/evaluation.py.
    """
    settings = cli_settings()
    try:
        records = load_labelled_records(dataset, limit)
    except (ValueError, KeyError, TypeError) as exc:
        console.print(f"[bold red]error:[/] {dataset} is not a labelled data set ({exc})")
        raise typer.Exit(code=2) from exc
    try:
        report = evaluate_redaction(settings, records, language)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if as_json:
        print_json(report.to_dict())
        return
    _print_redaction_report(report.to_dict())


def _print_redaction_report(summary: dict[str, Any]) -> None:
    table = Table(
        title=f"Redaction on {summary['records']} records ({summary['seconds']} s), "
        f"places: {summary['location_policy']}"
    )
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


@commands.command("retrieval")
def eval_retrieval(
    corpus: Annotated[Path, typer.Option("--corpus", exists=True, dir_okay=False, help="BEIR corpus.jsonl.")],
    queries: Annotated[Path, typer.Option("--queries", exists=True, dir_okay=False, help="BEIR queries.jsonl.")],
    qrels: Annotated[
        Path, typer.Option("--qrels", exists=True, dir_okay=False, help="BEIR qrels TSV, with a header line.")
    ],
    collection: Annotated[
        str, typer.Option("--collection", "-c", help="Collection to ingest the corpus into.")
    ] = "beir",
    data_dir: DataDirOption = None,
    as_json: JsonReportOption = False,
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
    settings = cli_settings()
    _refuse_the_users_store(settings, data_dir)
    try:
        report = evaluate_retrieval(
            settings,
            corpus=corpus,
            queries=queries,
            qrels=qrels,
            collection=collection,
            data_dir=data_dir,
            redaction=redaction,
        )
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    summary = {**report.to_dict(), "redaction": redaction}
    if as_json:
        print_json(summary)
        return
    _print_retrieval_report(summary)


def _print_retrieval_report(summary: dict[str, Any]) -> None:
    table = Table(
        title=f"Retrieval on {summary['corpus']} documents, {summary['judged_queries']} judged queries "
        f"(ingested in {summary['ingest_seconds']} s{'' if summary['redaction'] else ', redaction off'})"
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


@commands.command("answers")
def eval_answers(
    dataset: Annotated[
        Path,
        typer.Option("--dataset", exists=True, dir_okay=False, help="JSON Lines of question, answer, context, title."),
    ],
    withhold_every: Annotated[
        int, typer.Option("--withhold-every", min=0, help="Withhold every Nth context (0: none).")
    ] = 5,
    data_dir: DataDirOption = None,
    as_json: JsonReportOption = False,
) -> None:
    """Ask every question of a SQuAD-style set and score the answers (see rag/answer_eval.py).

    Each distinct context is ingested as one document through the real pipeline, redaction on, into a data
    dir of the evaluation's own (never ENCLAVE_DATA_DIR's store); every Nth is withheld, and its questions
    should get "the documents do not say". Reports the gold passage in the top 3 citations, evidence and
    answer containing the gold answer, answers stating a wrong value, "do not say" on withheld contexts, and
    seconds per question.
    """
    settings = cli_settings()
    _refuse_the_users_store(settings, data_dir)
    try:
        report = evaluate_answers(settings, dataset=dataset, withhold_every=withhold_every, data_dir=data_dir)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if as_json:
        print_json(report.to_dict())
        return
    _print_answer_report(report)


def _print_answer_report(report: AnswerReport) -> None:
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


@commands.command("tickets")
def eval_tickets(
    dataset: Annotated[
        Path, typer.Option("--dataset", exists=True, dir_okay=False, help='JSON Lines: {"text": ..., "label": ...}.')
    ],
    labelset: Annotated[
        str | None,
        typer.Option("--labelset", help="Take the labels and descriptions of this set (default: the dataset's)."),
    ] = None,
    train_fraction: Annotated[
        float, typer.Option("--train-fraction", min=0.01, max=0.99, help="Share of each label to train on.")
    ] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the stratified split.")] = 0,
    plot: Annotated[
        Path | None, typer.Option("--plot", dir_okay=False, help="Write the confusion matrix as a PNG here.")
    ] = None,
    as_json: JsonReportOption = False,
) -> None:
    """Accuracy and macro-F1 of ticket classification on a labelled set, against baselines in the same run.

    A stratified split trains on --train-fraction of each label and tests on the rest: the nearest label name,
    the zero-shot model, a plain logistic regression and Enclave's trained model. Nothing is stored.
    """
    # deferred: heavy (scikit-learn, jinja2 through rag.answer)
    from rag.label_sets import LabelSetStore
    from rag.label_training import read_labelled
    from rag.ticket_eval import evaluate_tickets, plot_confusion

    settings = cli_settings()
    try:
        tickets = read_labelled(dataset)
        label_set = LabelSetStore(settings.labelsets_dir).get(labelset) if labelset else None
        service = label_set_service(settings)
        with console.status(f"Redacting, embedding and classifying {len(tickets)} tickets..."):
            report = evaluate_tickets(
                service,
                tickets,
                label_set.labels if label_set else None,
                label_set.descriptions if label_set else None,
                train_fraction,
                seed,
            )
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if plot is not None:
        plot_confusion(report, plot)
        console.print(f"confusion matrix written to {plot}")
    if as_json:
        print_json(report.to_dict())
        return
    _print_ticket_report(report.to_dict())


def _print_ticket_report(summary: dict[str, Any]) -> None:
    title = f"Tickets: trained on {summary['train_size']}, tested on {summary['test_size']}"
    table = Table(title=title)
    for column in ("method", "accuracy", "macro-F1"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for name, score in summary["methods"].items():
        table.add_row(name, f"{score['accuracy']:.3f}", f"{score['macro_f1']:.3f}")
    out.print(table)
    per_label = Table(title="Enclave's model, per label")
    for column in ("label", "precision", "recall", "F1", "tickets"):
        per_label.add_column(column, justify="left" if column == "label" else "right")
    for label, row in summary["per_label"].items():
        per_label.add_row(
            label, f"{row['precision']:.2f}", f"{row['recall']:.2f}", f"{row['f1']:.2f}", str(row["support"])
        )
    out.print(per_label)
    labels = summary["labels"]
    if len(labels) <= 30:
        confusion = Table(title="Confusion (rows: true label, columns: predicted, by number)")
        confusion.add_column("#")
        confusion.add_column("true label")
        for number in range(1, len(labels) + 1):
            confusion.add_column(str(number), justify="right")
        for number, (label, row) in enumerate(zip(labels, summary["confusion"], strict=True), start=1):
            confusion.add_row(str(number), label, *(str(count) if count else "." for count in row))
        out.print(confusion)
    out.print(
        f"{summary['tickets_per_second']} tickets/s (redaction, embedding, model); "
        f"training {summary['train_seconds']} s"
    )
