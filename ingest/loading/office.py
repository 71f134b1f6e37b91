"""What the Office and OpenDocument loaders share: limits, tables as sentences, sheets as pages.

A table row is written as ``Header: value`` pairs ("Name: Alice Martin; Role: Analyst") so that it reads as
a sentence: a question about a row finds it, and the redactor sees each value with its context (a name
alone in a "Customer" column is preceded by "Customer:"). A sheet becomes pages of ``ROWS_PER_PAGE`` rows,
each located as "sheet <name>, rows a-b"; what a limit cuts is said in ``LoadedDocument.warnings``.

Warnings name a sheet by its position, never by its name: a sheet may be named after a person, and a
warning travels outside the redacted text (logs, reports).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from rag.errors import UnsupportedDocumentError
from rag.types import Page

ROWS_PER_PAGE = 200
MAX_ROWS_PER_SHEET = 100_000  # rows read per sheet; a sheet of a million rows is read up to here
MAX_COLUMNS = 500
MAX_CELL_CHARS = 10_000
_SPACES = re.compile(r"\s+")
_OUT_OF_MEMORY = re.compile(r"^unknown error|Memory allocation failed|out of memory", re.IGNORECASE)


@contextmanager
def library_errors(what: str) -> Iterator[None]:
    """Whatever a parsing library raises on a damaged file, as our error naming ``what`` the file is."""
    try:
        yield
    except (UnsupportedDocumentError, MemoryError):
        raise  # ours already; the isolated worker reports a memory error as going over its limit
    except Exception as exc:  # a third-party parser meets hostile bytes: any exception is "damaged"
        if _OUT_OF_MEMORY.search(str(exc)):
            # libxml2 (under lxml) reports a failed allocation as a syntax error, "unknown error" when even
            # its message could not be allocated: past the worker's memory limit, not a damaged file.
            raise MemoryError(str(exc)) from exc
        raise UnsupportedDocumentError(
            f"unreadable {what} (damaged or truncated)", cause=f"{type(exc).__name__}: {exc}"
        ) from exc


def cell_text(value: object) -> str:
    """A cell's value as text on one line: integral floats without ".0", dates without a zero time."""
    return capped_cell_text(value, limit=None)[0]


def capped_cell_text(value: object, limit: int | None = MAX_CELL_CHARS) -> tuple[str, bool]:
    """``cell_text`` of at most ``limit`` characters, and whether it was cut (cut first: a cell may be huge)."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)), False
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat(), False
    if isinstance(value, dt.date | dt.time):
        return value.isoformat(), False
    text = str(value)
    cut = limit is not None and len(text) > limit
    if cut:
        text = text[:limit]
    return _SPACES.sub(" ", text).strip(), cut


def column_letter(index: int) -> str:
    """The spreadsheet name of the 0-based column ``index``: A, B, ..., Z, AA, ..."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def row_sentence(headers: Sequence[str], values: Sequence[str]) -> str:
    """``Header: value`` pairs of the non-empty values; a column without a header is named by its letter."""
    pairs = []
    for index, value in enumerate(values):
        if value:
            header = headers[index] if index < len(headers) and headers[index] else f"Column {column_letter(index)}"
            pairs.append(f"{header}: {value}")
    return "; ".join(pairs)


def table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """A table (a document's or a slide's) as lines: "Columns: ..." for its first row, then a sentence a row."""
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    headers = list(rows[0])
    lines = ["Columns: " + "; ".join(cell for cell in headers if cell)]
    lines.extend(sentence for row in rows[1:] if (sentence := row_sentence(headers, row)))
    return lines


@dataclass
class SheetPages:
    """Pages of rows, appended a sheet at a time, numbered from 1 across the whole file."""

    max_pages: int
    pages: list[Page] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False  # the page limit was reached: no more sheets are read

    def add_sheet(
        self, rows: Iterable[tuple[int, Sequence[object]]], name: str | None, position: int, hidden: bool
    ) -> None:
        """(row number from 1, values) of one sheet, in order; ``name`` None for a CSV file."""
        label = f"sheet {position}" if name is not None else "the file"
        where = None if name is None else f"sheet {name}" + (" (hidden)" if hidden else "")
        headers: list[str] | None = None
        block: list[str] = []
        block_rows: list[int] = []
        cut_cells = cut_columns = 0
        for number, row in rows:
            if number > MAX_ROWS_PER_SHEET:
                self.warnings.append(f"{label}: rows after row {MAX_ROWS_PER_SHEET} were not read (the row limit)")
                break
            if len(row) > MAX_COLUMNS:
                cut_columns += 1
                row = row[:MAX_COLUMNS]
            values = []
            for value in row:
                text, cut = capped_cell_text(value)
                values.append(text)
                cut_cells += cut
            if not any(values):
                continue
            if headers is None:
                headers = values
                block.append("Columns: " + "; ".join(value for value in values if value))
            else:
                block.append(row_sentence(headers, values))
            block_rows.append(number)
            if len(block_rows) >= ROWS_PER_PAGE:
                if not self._flush(where, block, block_rows):
                    break
                block, block_rows = [], []
        if block_rows and not self.truncated:
            self._flush(where, block, block_rows)
        if cut_cells:
            self.warnings.append(f"{label}: text cut at {MAX_CELL_CHARS} characters in {cut_cells} cell(s)")
        if cut_columns:
            self.warnings.append(f"{label}: columns after column {MAX_COLUMNS} not read in {cut_columns} row(s)")

    def _flush(self, where: str | None, block: list[str], block_rows: list[int]) -> bool:
        """Add one page of ``block``; False once the file's page limit is reached."""
        if len(self.pages) >= self.max_pages:
            if not self.truncated:
                self.warnings.append(f"only the first {self.max_pages} pages of rows were read (the page limit)")
            self.truncated = True
            return False
        rows = f"rows {block_rows[0]}-{block_rows[-1]}" if len(block_rows) > 1 else f"row {block_rows[0]}"
        location = rows if where is None else f"{where}, {rows}"
        heading = [] if where is None else [where[0].upper() + where[1:]]
        self.pages.append(Page(number=len(self.pages) + 1, text="\n".join(heading + block), location=location))
        return True


def with_title(pages: list[Page], title: str | None) -> list[Page]:
    """The pages with the document's title property as a first line ("Title: ..."), seen by the redactor."""
    if not title or not title.strip() or not pages:
        return pages
    first = pages[0]
    text = f"Title: {_SPACES.sub(' ', title).strip()}\n{first.text}"
    return [Page(number=first.number, text=text, location=first.location, ocr=first.ocr), *pages[1:]]


@dataclass
class TextUnit:
    """A page, or a section, of a text document being filled in reading order."""

    number: int
    location: str
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class TextUnits:
    """The pages of a Word or OpenDocument text where the file records page breaks, otherwise its sections
    (each heading 1 starts one, named after it): the units its text is cited by."""

    def __init__(self, paged: bool) -> None:
        self.paged = paged
        self.units = [TextUnit(1, "page 1" if paged else "section 1")]

    @property
    def current(self) -> TextUnit:
        return self.units[-1]

    def new_page(self) -> None:
        number = self.units[-1].number + 1
        self.units.append(TextUnit(number, f"page {number}"))

    def heading(self, title: str) -> None:
        """A heading 1 of a document without pages: a new section, unless nothing came before it."""
        unit = self.units[-1]
        if unit.lines or unit.notes or len(self.units) > 1:
            self.units.append(TextUnit(unit.number + 1, ""))
        self.units[-1].location = f"section {self.units[-1].number}: {title[:80]}".rstrip(": ")
