"""The benchmarks' tables: printed to the terminal with rich, and written as Markdown for the docs."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.console import Console
from rich.table import Table

console = Console()


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], left: Collection[str] | None = None
) -> None:
    """A rich table; the ``left`` columns are aligned left and the others right (all left when ``None``)."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if left is None or column in left else "right")
    for cells in rows:
        table.add_row(*cells)
    console.print(table)


def markdown_table(columns: Sequence[str], lines: Sequence[Sequence[str]], left: Collection[str] = ("Corpus",)) -> str:
    """A Markdown table; the ``left`` columns are aligned left and the others right."""
    header = "| " + " | ".join(columns) + " |"
    rule = "| " + " | ".join("---" if column in left else "--:" for column in columns) + " |"
    body = ["| " + " | ".join(cells) + " |" for cells in lines]
    return "\n".join([header, rule, *body])
