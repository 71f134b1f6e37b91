"""OpenDocument spreadsheets (.ods): one page per sheet, or per block of rows on a large sheet.

As for Excel (``spreadsheet``): rows as ``Header: value`` pairs, pages located "sheet Budget, rows 2-201",
hidden sheets read and marked, rows, columns and cells capped with a warning. A cell gives the text it
displays (a formula's last computed result, formatted), or its stored value when it displays none.

Library: none but defusedxml (see ``odf``). ``content.xml`` is streamed (``iterparse``) and each row is
dropped once read, so memory stays bounded however many rows a sheet has; rows and cells that the format
repeats (``number-rows-repeated="1048000"`` for the empty rows at the end of a sheet) are counted, not
expanded, unless they hold text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import iterparse

from ingest.loading.archive import zip_errors
from ingest.loading.loader import LoadOptions
from ingest.loading.odf import OFFICE, STYLE, TABLE, inline_text, meta_title, open_odf
from ingest.loading.office import MAX_COLUMNS, MAX_ROWS_PER_SHEET, SheetPages, library_errors, with_title
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument

WHAT = "OpenDocument spreadsheet"
_CELLS = (TABLE + "table-cell", TABLE + "covered-table-cell")
_VALUES = ("value", "date-value", "time-value", "boolean-value", "string-value")


def load_ods(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An OpenDocument spreadsheet, every sheet (hidden ones too) as pages of rows."""
    archive = open_odf(data, WHAT)
    pages = SheetPages(max_pages=options.max_pages)
    with library_errors(WHAT), zip_errors(WHAT):
        if "content.xml" not in archive.namelist():
            raise UnsupportedDocumentError(f"unreadable {WHAT} (no content)")
        with archive.open("content.xml") as stream:
            sheets = _Sheets(iterparse(stream, events=("start", "end"), forbid_dtd=True))
            for position, (name, hidden) in enumerate(sheets, start=1):
                if not pages.truncated:
                    pages.add_sheet(sheets.rows(), name, position, hidden)
                sheets.skip_rest()
        title = meta_title(archive, WHAT)
    return LoadedDocument(kind="ods", pages=with_title(pages.pages, title), title=title, warnings=pages.warnings)


class _Sheets:
    """The sheets of a streamed ``content.xml``: iterate for (name, hidden), then read ``rows()`` of each."""

    def __init__(self, events: Iterator[tuple[str, Any]]) -> None:
        self._events = iter(events)
        self._stack: list[Element] = []
        self._hidden_styles: set[str] = set()
        self._table: Element | None = None
        self._tables_open = 0
        self._row_number = 0

    def __iter__(self) -> Iterator[tuple[str, bool]]:
        for event, element in self._events:
            if event == "start":
                self._stack.append(element)
                if element.tag == TABLE + "table":
                    self._tables_open += 1
                    if self._tables_open == 1:
                        self._table, self._row_number = element, 0
                        yield element.get(TABLE + "name", ""), element.get(TABLE + "style-name") in self._hidden_styles
                continue
            self._stack.pop()
            if element.tag == TABLE + "table":
                self._tables_open -= 1
            elif element.tag == STYLE + "style" and _hides_table(element):
                self._hidden_styles.add(element.get(STYLE + "name", ""))

    def rows(self, skip: bool = False) -> Iterator[tuple[int, list[str]]]:
        """(row number, cell texts) of the current sheet's rows that hold text, up to the sheet's end."""
        table = self._table
        for event, element in self._events:
            if event == "start":
                self._stack.append(element)
                self._tables_open += element.tag == TABLE + "table"
                continue
            self._stack.pop()
            if element is table:
                self._tables_open -= 1
                self._table = None
                return
            if element.tag == TABLE + "table":
                self._tables_open -= 1
            elif element.tag == TABLE + "table-row" and self._tables_open == 1:
                repeat = _count(element, "number-rows-repeated")
                values = [] if skip else _cells(element)
                self._stack[-1].remove(element)  # read: dropped, so that the tree stays small
                first, self._row_number = self._row_number + 1, self._row_number + repeat
                if values:
                    # A repeated row that holds text is written each time, up to just past the row limit.
                    for number in range(first, min(self._row_number, MAX_ROWS_PER_SHEET + 1) + 1):
                        yield number, values

    def skip_rest(self) -> None:
        """Read past the rest of the current sheet (the one ``rows`` stopped reading at a limit)."""
        if self._table is not None:
            for _ in self.rows(skip=True):
                pass


def _hides_table(style: Element) -> bool:
    return any(p.get(TABLE + "display") == "false" for p in style.iter(STYLE + "table-properties"))


def _count(element: Element, attribute: str) -> int:
    value = element.get(TABLE + attribute, "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _cells(row: Element) -> list[str]:
    values: list[str] = []
    for cell in row:
        if cell.tag not in _CELLS:
            continue
        text = inline_text(cell, notes=[])  # a cell's comment is left out of its value
        if not text:
            text = next((value for name in _VALUES if (value := cell.get(OFFICE + name))), "")
        values.extend([text] * min(_count(cell, "number-columns-repeated"), MAX_COLUMNS + 1 - len(values)))
        if len(values) > MAX_COLUMNS:
            break
    while values and not values[-1]:
        values.pop()
    return values
