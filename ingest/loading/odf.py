"""OpenDocument text (.odt) and presentations (.odp); spreadsheets (.ods) are in ``odf_sheet``.

Text: paragraphs, headings, list items ("- "), tables (a row as "Header: value" pairs), text frames;
headers and footers once, at the start; footnotes, endnotes and comments at the end of the page that holds
them (comment authors left out). Pages where the file records them (LibreOffice writes
``text:soft-page-break`` where its last layout broke pages; a paragraph style may force a break), sections
otherwise, each heading of level 1 starting one ("section 2: Results"). Presentations: one page per slide
("slide N"), its title first, its tables, its speaker notes ("Notes: ...").

Library: none but defusedxml. An OpenDocument file is a ZIP of a few XML parts whose text model is small;
parsing ``content.xml`` with defusedxml (document type declarations forbidden) after ``archive.checked_zip``
keeps the entity and ZIP bombs out without a DOM library (odfpy builds a DOM many times the file's size).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

from ingest.loading.archive import checked_zip, read_part
from ingest.loading.loader import LoadOptions
from ingest.loading.office import TextUnits, library_errors, table_lines, with_title
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument, Page

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_HEADERS = {"header": "Header", "header-left": "Header", "header-first": "Header", "footer": "Footer"}
_HEADERS |= {"footer-left": "Footer", "footer-first": "Footer"}
# Not text of the document: what a field computes, the table of contents (the headings again), change records.
_SKIPPED = {TEXT + "page-number", TEXT + "page-count", TEXT + "table-of-content", TEXT + "tracked-changes"}
_SKIPPED |= {OFFICE + "annotation-end", TEXT + "note-citation", _DC + "creator", _DC + "date"}


def parse_part(archive: zipfile.ZipFile, name: str, what: str) -> Element | None:
    """A part of the file as a tree, parsed with defusedxml (no DTD, so no entity); None when absent."""
    data = read_part(archive, name, what)
    return None if data is None else fromstring(data, forbid_dtd=True)


def open_odf(data: bytes, what: str) -> zipfile.ZipFile:
    """The checked ZIP of an OpenDocument file; a password-protected one is refused with its reason."""
    archive = checked_zip(data, what)
    manifest = read_part(archive, "META-INF/manifest.xml", what) or b""
    if b"encryption-data" in manifest:
        raise UnsupportedDocumentError(f"password-protected {what} (a password is required)")
    return archive


def inline_text(element: Element, notes: list[str] | None = None) -> str:
    """The text of a paragraph (or cell, frame), on one line; its notes and comments added to ``notes``."""
    parts: list[str] = []
    _inline(element, parts, notes)
    return " ".join("".join(parts).split())


def _inline(element: Element, parts: list[str], notes: list[str] | None) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if tag == TEXT + "s":
            parts.append(" " * min(int(child.get(TEXT + "c", "1") or 1), 100))
        elif tag in (TEXT + "tab", TEXT + "line-break"):
            parts.append(" ")
        elif tag == TEXT + "note":
            body = child.find(TEXT + "note-body")
            label = "Endnote" if child.get(TEXT + "note-class") == "endnote" else "Footnote"
            if notes is not None and body is not None and (text := inline_text(body, notes)):
                notes.append(f"{label}: {text}")
        elif tag == OFFICE + "annotation":
            if notes is not None and (text := inline_text(child, notes)):
                notes.append(f"Comment: {text}")
        elif tag not in _SKIPPED:
            _inline(child, parts, notes)
            if tag in (TEXT + "p", TEXT + "h"):
                parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def table_rows(table: Element, notes: list[str] | None = None) -> list[str]:
    """A table as lines, rows as sentences; repeated rows and cells written once (they are formatting)."""
    rows: list[list[str]] = []
    for row in _iter_rows(table):
        cells: list[str] = []
        for cell in row:
            if cell.tag in (TABLE + "table-cell", TABLE + "covered-table-cell"):
                text = inline_text(cell, notes)
                repeat = int(cell.get(TABLE + "number-columns-repeated", "1") or 1)
                cells.extend([text] * (min(repeat, 64) if text else 1))
        rows.append(cells)
    return table_lines(rows)


def _iter_rows(element: Element) -> Iterator[Element]:
    for child in element:
        if child.tag == TABLE + "table-row":
            yield child
        elif child.tag in (TABLE + "table-header-rows", TABLE + "table-rows", TABLE + "table-row-group"):
            yield from _iter_rows(child)


def meta_title(archive: zipfile.ZipFile, what: str) -> str | None:
    meta = parse_part(archive, "meta.xml", what)
    title = meta.find(f"{OFFICE}meta/{_DC}title") if meta is not None else None
    text = (title.text or "").strip() if title is not None else ""
    return text or None


def _page_break_styles(*roots: Element | None) -> set[str]:
    """Names of the paragraph styles that force a page break before or after their paragraph."""
    names = set()
    for root in roots:
        for style in root.iter(STYLE + "style") if root is not None else ():
            properties = style.find(STYLE + "paragraph-properties")
            if properties is not None and "page" in (
                properties.get(_FO + "break-before"),
                properties.get(_FO + "break-after"),
            ):
                names.add(style.get(STYLE + "name", ""))
    return names


class _TextReader:
    """Walks an office:text body in reading order, filling pages (or sections) with lines."""

    def __init__(self, paged: bool, break_styles: set[str]) -> None:
        self.paged = paged
        self._break_styles = break_styles
        self.pages = TextUnits(paged)

    def blocks(self, parent: Element, depth: int = 0) -> None:
        for child in parent:
            tag = child.tag
            if tag in (TEXT + "p", TEXT + "h"):
                self._paragraph(child, depth)
            elif tag == TEXT + "list":
                for item in child:
                    self.blocks(item, depth + 1)  # list-item and list-header: paragraphs and nested lists
            elif tag == TABLE + "table":
                self.pages.current.lines.extend(table_rows(child, self.pages.current.notes))
                for _ in child.iter(TEXT + "soft-page-break") if self.paged else ():
                    self._new_page()  # a table is kept whole on its first page; its page breaks count after it
            elif tag == TEXT + "soft-page-break":
                self._new_page()
            elif tag not in _SKIPPED:  # sections, frames and the like around blocks
                self.blocks(child, depth)

    def _paragraph(self, paragraph: Element, depth: int) -> None:
        style = paragraph.get(TEXT + "style-name", "")
        if self.paged and style in self._break_styles and self.pages.current.lines:
            self._new_page()  # approximated as a break before: the usual use of the property
        if paragraph.find(f".//{TEXT}soft-page-break") is not None and self.paged:
            self._new_page()  # a page that breaks inside a paragraph: the paragraph goes to the new page
        text = inline_text(paragraph, self.pages.current.notes)
        level = paragraph.get(TEXT + "outline-level", "1") if paragraph.tag == TEXT + "h" else None
        if level == "1" and not self.paged:
            self.pages.heading(text)
        if text:
            self.pages.current.lines.append(("  " * (depth - 1) + "- " if depth else "") + text)

    def _new_page(self) -> None:
        self.pages.new_page()


def load_odt(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An OpenDocument text as pages (or sections), each with its ``location``."""
    what = "OpenDocument text"
    archive = open_odf(data, what)
    with library_errors(what):
        content = parse_part(archive, "content.xml", what)
        styles = parse_part(archive, "styles.xml", what)
        body = content.find(f"{OFFICE}body/{OFFICE}text") if content is not None else None
        if body is None:
            raise UnsupportedDocumentError(f"unreadable {what} (no text body)")
        break_styles = _page_break_styles(content, styles)
        paged = body.find(f".//{TEXT}soft-page-break") is not None or any(
            element.get(TEXT + "style-name") in break_styles for element in body.iter(TEXT + "p")
        )
        reader = _TextReader(paged, break_styles)
        reader.blocks(body)
        headers = _header_lines(styles)
        title = meta_title(archive, what)
    units = reader.pages.units
    if len(units) > options.max_pages:
        raise UnsupportedDocumentError(f"{what} has {len(units)} pages, more than the limit of {options.max_pages}")
    pages = [
        Page(number=unit.number, text="\n".join([*unit.lines, *dict.fromkeys(unit.notes)]), location=unit.location)
        for unit in units
        if unit.lines or unit.notes
    ]
    if pages and headers:
        pages[0] = Page(number=pages[0].number, text="\n".join([*headers, pages[0].text]), location=pages[0].location)
    return LoadedDocument(
        kind="odt", pages=with_title(pages, title), title=title, pages_without_text=len(units) - len(pages)
    )


def _header_lines(styles: Element | None) -> list[str]:
    lines: list[str] = []
    for page in styles.iter(STYLE + "master-page") if styles is not None else ():
        for child in page:
            label = _HEADERS.get(child.tag.removeprefix(STYLE))
            line = f"{label}: {text}" if label and (text := inline_text(child)) else ""
            if line and line not in lines:
                lines.append(line)
    return lines


def load_odp(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An OpenDocument presentation as one page per slide that has text."""
    what = "OpenDocument presentation"
    archive = open_odf(data, what)
    with library_errors(what):
        content = parse_part(archive, "content.xml", what)
        body = content.find(f"{OFFICE}body/{OFFICE}presentation") if content is not None else None
        if content is None or body is None:
            raise UnsupportedDocumentError(f"unreadable {what} (no presentation body)")
        hidden_styles = {
            style.get(STYLE + "name")
            for style in content.iter(STYLE + "style")
            if any(
                p.get(_PRESENTATION + "visibility") == "hidden" for p in style.iter(STYLE + "drawing-page-properties")
            )
        }
        slides = body.findall(_DRAW + "page")
        if len(slides) > options.max_pages:
            raise UnsupportedDocumentError(
                f"{what} has {len(slides)} slides, more than the limit of {options.max_pages}"
            )
        pages = []
        for number, slide in enumerate(slides, start=1):
            if lines := _slide_lines(slide):
                hidden = " (hidden)" if slide.get(_DRAW + "style-name") in hidden_styles else ""
                pages.append(Page(number=number, text="\n".join(lines), location=f"slide {number}{hidden}"))
        title = meta_title(archive, what)
    return LoadedDocument(
        kind="odp", pages=with_title(pages, title), title=title, pages_without_text=len(slides) - len(pages)
    )


def _slide_lines(slide: Element) -> list[str]:
    titles: list[str] = []
    lines: list[str] = []
    speaker: list[str] = []
    notes: list[str] = []  # footnotes and comments in the slide's text
    for shape in slide:
        if shape.tag == _PRESENTATION + "notes":
            if text := " ".join(line for frame in shape for line in _shape_lines(frame, notes)):
                speaker.append(f"Notes: {text}")
            continue
        target = titles if shape.get(_PRESENTATION + "class") == "title" else lines
        target.extend(_shape_lines(shape, notes))
    return titles + lines + speaker + notes


def _shape_lines(shape: Element, notes: list[str]) -> list[str]:
    """The text of a frame or shape: its tables as rows, its paragraphs as lines."""
    if shape.get(_PRESENTATION + "class") in ("page", "page-number", "date-time", "footer"):
        return []  # the thumbnail of the slide on a notes page, and fields the layout fills in
    lines: list[str] = []
    for child in shape:
        if child.tag == TABLE + "table":
            lines.extend(table_rows(child, notes))
        elif child.tag in (TEXT + "p", TEXT + "h"):
            if text := inline_text(child, notes):
                lines.append(text)
        elif child.tag == TEXT + "list":
            lines.extend("- " + line for item in child for line in _shape_lines(item, notes))
        elif child.tag not in _SKIPPED and child.tag != OFFICE + "annotation":
            lines.extend(_shape_lines(child, notes))
    return lines
