"""Excel (.xlsx, .xlsm) and CSV/TSV: one page per sheet, or per block of rows on a large sheet.

Each row is written as ``Header: value`` pairs, the header being the sheet's first non-empty row, so that
a question about a row finds it and the redactor sees every value with its column's name. A page is
located as "sheet Customers, rows 2-201" ("rows 2-201" for a CSV file); a hidden sheet is read and marked
"sheet Salaries (hidden), rows ...". Rows, columns and cell lengths are capped (``office``), what is cut
said in ``LoadedDocument.warnings``.

Library: openpyxl in read-only mode (rows streamed from the sheet's XML: memory stays bounded on a sheet of
a million rows) with ``data_only=True``, so a formula gives the value Excel last computed and nothing is
evaluated. It parses with lxml (``resolve_entities=False``) and defusedxml; ``archive.checked_zip`` has
bounded the ZIP before. Macros (.xlsm) are never run: the VBA part is not loaded (``keep_vba=False``).
CSV: the standard library's csv module, the delimiter sniffed from the first lines.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence

from ingest.loading.archive import checked_zip
from ingest.loading.loader import LoadOptions
from ingest.loading.office import SheetPages, library_errors, with_title
from ingest.loading.text import decode_text
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument

WHAT_XLSX = "Excel workbook"
WHAT_CSV = "CSV file"
_SNIFF_CHARS = 64 * 1024
_DELIMITERS = ",;\t|"


def load_xlsx(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An Excel workbook, every worksheet (hidden ones too) as pages of rows."""
    checked_zip(data, WHAT_XLSX).close()
    # deferred: heavy (openpyxl, imported in the parser's worker only)
    from openpyxl import load_workbook

    pages = SheetPages(max_pages=options.max_pages)
    with library_errors(WHAT_XLSX):
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False, keep_vba=False)
        try:
            title = workbook.properties.title if workbook.properties is not None else None
            for position, sheet in enumerate(workbook.worksheets, start=1):
                if pages.truncated:
                    break
                # Read-only mode trusts the sheet's declared dimensions, which some writers get wrong: forget
                # them, so that rows are read until the sheet's XML ends.
                sheet.reset_dimensions()
                rows = enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
                pages.add_sheet(rows, sheet.title, position, hidden=sheet.sheet_state != "visible")
        finally:
            workbook.close()
    if not pages.pages:
        raise UnsupportedDocumentError(f"{WHAT_XLSX} has no text (every sheet is empty)")
    return LoadedDocument(kind="xlsx", pages=with_title(pages.pages, title), title=title, warnings=pages.warnings)


def load_csv(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """A CSV or TSV file as pages of rows, its encoding and delimiter found from its content."""
    text = decode_text(data)
    pages = SheetPages(max_pages=options.max_pages)
    # The standard limit on a field (128 KiB) would fail a file with one long cell; the cell is cut to
    # ``office.MAX_CELL_CHARS`` instead. The file is already in memory whole, so no field can be larger.
    csv.field_size_limit(max(csv.field_size_limit(), min(len(text) + 1, sys.maxsize)))
    try:
        pages.add_sheet(_csv_rows(text), None, 1, hidden=False)
    except csv.Error as exc:
        raise UnsupportedDocumentError(f"unreadable {WHAT_CSV} (malformed)", cause=str(exc)) from exc
    return LoadedDocument(kind="csv", pages=pages.pages, warnings=pages.warnings)


def _csv_rows(text: str) -> Iterator[tuple[int, Sequence[str]]]:
    sample = text[:_SNIFF_CHARS]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:  # one column, or too irregular to tell: a comma, or a tab if the text has tabs
        dialect = csv.excel_tab if "\t" in sample and "," not in sample else csv.excel
    return enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1)
