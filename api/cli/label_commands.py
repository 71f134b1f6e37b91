"""The ``enclave labels`` group: a team's ticket labels as named sets, trained on their labelled tickets."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from api.cli.common import cli_settings, console, failure_exit, out, print_json
from api.cli.wiring import label_set_service
from rag.errors import EnclaveError, InvalidInputError
from rag.label_sets import LabelSetStore

if TYPE_CHECKING:
    from rag.label_sets import LabelSet

commands = typer.Typer(
    help="Ticket label sets: create one, train it on labelled tickets, classify with `enclave classify --labelset`.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The label set's name (letters, digits, '.', '_', '-').")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def read_descriptions(path: Path) -> dict[str, str]:
    """A TOML table of label = "what it covers"."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInputError(f"{path} is not a readable TOML file ({exc})") from exc
    if not all(isinstance(value, str) for value in table.values()):
        raise InvalidInputError(f'{path}: every entry must be label = "description"')
    return {str(label): str(text) for label, text in table.items()}


@commands.command("create")
def create(
    name: NameArgument,
    labels: Annotated[
        str | None, typer.Option("--labels", "-l", help="Comma-separated labels (default: the descriptions' labels).")
    ] = None,
    descriptions: Annotated[
        Path | None,
        typer.Option("--descriptions", exists=True, dir_okay=False, help='TOML: label = "what it covers".'),
    ] = None,
) -> None:
    """Create a label set; until it is trained it classifies zero-shot from its labels' names and descriptions."""
    settings = cli_settings()
    try:
        described = read_descriptions(descriptions) if descriptions else {}
        label_list = [label for label in labels.split(",") if label.strip()] if labels else list(described)
        label_set = LabelSetStore(settings.labelsets_dir).create(name, label_list, described)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    console.print(f"created label set {label_set.name!r} with {len(label_set.labels)} labels")


@commands.command("train")
def train(
    name: NameArgument,
    examples: Annotated[
        Path, typer.Option("--examples", exists=True, dir_okay=False, help='JSON Lines: {"text": ..., "label": ...}.')
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Start again from these examples instead of adding them.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Learn from labelled tickets: redacted before anything is stored, added to the set's examples.

    The model is refitted on all the set's examples; --replace starts again from these alone.
    """
    # deferred: heavy (jinja2 through rag.answer)
    from rag.label_training import read_labelled

    settings = cli_settings()
    try:
        store = LabelSetStore(settings.labelsets_dir)
        store.get(name)  # an unknown set stops here, before the models load
        labelled = read_labelled(examples)
        service = label_set_service(settings)
        started = time.perf_counter()
        with console.status(f"Redacting, embedding and learning from {len(labelled)} examples..."):
            label_set = service.train(name, labelled, replace=replace)
        seconds = time.perf_counter() - started
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if as_json:
        print_json({**label_set.to_dict(), "seconds": round(seconds, 2)})
        return
    counts = label_set.examples_per_label
    console.print(
        f"trained {label_set.name!r} on {sum(counts.values())} examples in {seconds:.1f} s "
        f"({min(counts.values(), default=0)} to {max(counts.values(), default=0)} per label)"
    )
    missing = [label for label in label_set.labels if label not in counts]
    if missing:
        console.print(f"[yellow]no examples yet for:[/] {', '.join(missing)} (their descriptions stand in)")


@commands.command("list")
def list_sets(as_json: JsonOption = False) -> None:
    """Every label set: its labels, examples and model."""
    settings = cli_settings()
    label_sets = LabelSetStore(settings.labelsets_dir).all()
    if as_json:
        print_json([label_set.to_dict() for label_set in label_sets])
        return
    table = Table(title=f"{len(label_sets)} label sets")
    for column in ("name", "labels", "examples", "model", "trained at"):
        table.add_column(column)
    for label_set in label_sets:
        summary = label_set.to_dict()
        table.add_row(
            label_set.name,
            str(len(label_set.labels)),
            str(summary["examples"]),
            str(summary["model"]),
            label_set.trained_at or "",
        )
    out.print(table)


@commands.command("show")
def show(name: NameArgument, as_json: JsonOption = False) -> None:
    """One label set: each label, its description and its number of examples."""
    settings = cli_settings()
    try:
        label_set = LabelSetStore(settings.labelsets_dir).get(name)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if as_json:
        print_json(label_set.to_dict())
        return
    _print_label_set(label_set)


def _print_label_set(label_set: LabelSet) -> None:
    summary = label_set.to_dict()
    table = Table(title=f"{label_set.name}: {summary['model']}, {summary['examples']} examples")
    for column in ("label", "examples", "description"):
        table.add_column(column)
    for label in label_set.labels:
        count = label_set.examples_per_label.get(label, 0)
        table.add_row(label, str(count), label_set.descriptions.get(label, ""))
    out.print(table)


@commands.command("delete")
def delete(name: NameArgument) -> None:
    """Delete a label set, its model and its stored (redacted) examples."""
    settings = cli_settings()
    try:
        LabelSetStore(settings.labelsets_dir).delete(name)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    console.print(f"deleted label set {name!r}")
