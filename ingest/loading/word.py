"""Word (.docx, .docm): the text in reading order, split into pages where the file records them.

What is read: paragraphs, headings, list items ("- "), tables (a row as "Header: value" pairs), text boxes,
content controls, tracked insertions (not deletions); headers and footers once, at the start; footnotes,
endnotes and comments at the end of the page that refers to them. Comment authors and the author
properties are left out (personal data nobody searches by); the title property is read as "Title: ...".

Pages: a .docx records where pages broke when Word last laid it out (``w:lastRenderedPageBreak``) and
where the author forced a break (``w:br w:type="page"``, a section break). A file with either is read as
pages ("page 3"); a file with neither (most generated ones) as sections, each heading 1 starting one
("section 2: Results").

Library: python-docx opens the package (parts, relationships, styles, properties) with its lxml parser that
never resolves entities; ``archive.checked_zip`` has bounded the ZIP before. The body is walked through
the public ``Document.element`` and each part's ``element``/``blob`` (python-docx has no public API for
footnotes, text boxes or content controls). Macros (.docm) are never run: the VBA part is never read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from ingest.loading.archive import checked_zip
from ingest.loading.loader import LoadOptions
from ingest.loading.office import TextUnit, TextUnits, library_errors, table_lines, with_title
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument, Page

WHAT = "Word document"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
_NOTE_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml": ("footnote", "Footnote"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml": ("endnote", "Endnote"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml": ("comment", "Comment"),
}
_HEADER_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml": "Header",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml": "Footer",
}
_REFERENCES = {
    _W + "footnoteReference": "footnote",
    _W + "endnoteReference": "endnote",
    _W + "commentReference": "comment",
}
# Deleted text (tracked changes) and the fallback copy of what a mc:Choice already holds are not read.
_SKIPPED = {_W + "del", _W + "moveFrom", _W + "pPr", _W + "rPr", _W + "delText", _W + "instrText", _MC + "Fallback"}
_HEADING = re.compile(r"^heading ([1-9])$", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")


def load_docx(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """A Word document as pages (or sections), each with its ``location``."""
    checked_zip(data, WHAT).close()
    with library_errors(WHAT):
        document = _open(data)
        body = document.element.find(_W + "body")
        if body is None:
            raise UnsupportedDocumentError(f"unreadable {WHAT} (no body)")
        paged = body.find(f".//{_W}lastRenderedPageBreak") is not None or any(
            br.get(_W + "type") == "page" for br in body.iter(_W + "br")
        )
        reader = _Reader(_styles(document), _notes(document), paged)
        for child in body:
            reader.block(child)
        units = reader.finish()
        header_lines = _header_lines(document)
        title = document.core_properties.title or None
    if len(units) > options.max_pages:
        raise UnsupportedDocumentError(f"{WHAT} has {len(units)} pages, more than the limit of {options.max_pages}")
    pages = [
        Page(number=unit.number, text="\n".join(unit.lines), location=unit.location) for unit in units if unit.lines
    ]
    if pages and header_lines:
        first = pages[0]
        pages[0] = Page(number=first.number, text="\n".join([*header_lines, first.text]), location=first.location)
    return LoadedDocument(
        kind="docx", pages=with_title(pages, title), title=title, pages_without_text=len(units) - len(pages)
    )


def _open(data: bytes) -> Any:
    # deferred: heavy (python-docx and lxml, imported in the parser's worker only)
    from docx.opc.part import PartFactory
    from docx.package import Package
    from docx.parts.document import DocumentPart

    # python-docx maps only the .docx main part to its document class; a .docm's has the same content with
    # another content type. Registered the way python-docx registers its own part classes.
    PartFactory.part_type_for.setdefault(_DOCM_MAIN, DocumentPart)
    part = Package.open(io.BytesIO(data)).main_document_part
    if not isinstance(part, DocumentPart):
        raise UnsupportedDocumentError(f"unreadable {WHAT} (its main part is not a Word document)")
    return part.document


def _styles(document: Any) -> dict[str, tuple[str, str | None]]:
    """Style id -> (name, id of the style it is based on)."""
    styles: dict[str, tuple[str, str | None]] = {}
    for style in document.styles:
        base = getattr(style, "base_style", None)  # numbering styles have none
        styles[style.style_id] = (style.name or "", base.style_id if base is not None else None)
    return styles


def _parts(document: Any) -> Iterator[Any]:
    return iter(sorted(document.part.package.iter_parts(), key=lambda part: str(part.partname)))


def _part_element(part: Any) -> Any:
    # deferred: heavy (python-docx's parser: lxml with resolve_entities=False)
    from docx.oxml.parser import parse_xml

    element = getattr(part, "element", None)  # XmlPart; the parts python-docx has no class for carry a blob
    return element if element is not None else parse_xml(part.blob)


def _notes(document: Any) -> dict[tuple[str, str], str]:
    """(footnote|endnote|comment, id) -> "Footnote: text" for every note with text."""
    notes: dict[tuple[str, str], str] = {}
    for part in _parts(document):
        if part.content_type not in _NOTE_PARTS:
            continue
        kind, label = _NOTE_PARTS[part.content_type]
        for note in _part_element(part):
            text = plain_text(note)
            if text and note.get(_W + "id") is not None:
                notes[(kind, note.get(_W + "id"))] = f"{label}: {text}"
    return notes


def _header_lines(document: Any) -> list[str]:
    """ "Header: ..." then "Footer: ..." lines, each once however many sections repeat it."""
    lines: dict[str, list[str]] = {"Header": [], "Footer": []}
    for part in _parts(document):
        label = _HEADER_PARTS.get(part.content_type)
        text = plain_text(_part_element(part)) if label else ""
        if label and text and f"{label}: {text}" not in lines[label]:
            lines[label].append(f"{label}: {text}")
    return lines["Header"] + lines["Footer"]


def plain_text(element: Any) -> str:
    """The text under ``element`` on one line (paragraphs, cells and breaks as spaces), deletions left out."""
    return _SPACES.sub(" ", " ".join(_texts(element))).strip()


def _texts(element: Any) -> Iterator[str]:
    for child in element:
        tag = child.tag
        if tag in _SKIPPED or not isinstance(tag, str):
            continue
        if tag == _W + "t":
            yield child.text or ""
        elif tag in (_W + "tab", _W + "br", _W + "cr", _W + "p", _W + "tc"):
            yield from _texts(child)
            yield " "
        else:
            yield from _texts(child)


class _Reader:
    """Walks the body in reading order and fills pages (or sections) with lines."""

    def __init__(self, styles: dict[str, tuple[str, str | None]], notes: dict[tuple[str, str], str], paged: bool):
        self._styles = styles
        self._notes = notes
        self._used_notes: set[tuple[str, str]] = set()
        self._paged = paged
        self._units = TextUnits(paged)
        self._line: list[str] = []
        self._explicit_break = False  # an explicit break just started this page: Word marks it again
        self._table_depth = 0
        self._breaks_in_table = 0  # a table is kept whole on its first page; its breaks count after it

    def finish(self) -> list[TextUnit]:
        self._end_line()
        self._units.current.notes.extend(text for key, text in self._notes.items() if key not in self._used_notes)
        for unit in self._units.units:
            unit.lines.extend(dict.fromkeys(unit.notes))
        return self._units.units

    def block(self, element: Any) -> None:
        tag = element.tag
        if tag == _W + "p":
            self._paragraph(element)
        elif tag == _W + "tbl":
            self._table(element)
        elif tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):  # content controls around blocks
            for child in element:
                self.block(child)

    def _paragraph(self, paragraph: Any) -> None:
        properties = paragraph.find(_W + "pPr")
        level = self._heading_level(properties)
        if level == 1 and not self._paged:
            self._end_line()
            title = plain_text(paragraph)
            self._units.heading(title)
        self._line = [self._list_prefix(properties)]
        self._inline(paragraph)
        self._end_line()
        section_break = properties.find(_W + "sectPr") if properties is not None else None
        if section_break is not None:
            kind = section_break.find(_W + "type")
            if kind is None or kind.get(_W + "val") != "continuous":
                self._page_break(explicit=True)

    def _inline(self, element: Any) -> None:
        for child in element:
            tag = child.tag
            if tag in _SKIPPED or not isinstance(tag, str):
                continue
            if tag == _W + "t":
                self._line.append(child.text or "")
                self._explicit_break = self._explicit_break and not (child.text or "").strip()
            elif tag == _W + "tab":
                self._line.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                if child.get(_W + "type") == "page":
                    self._page_break(explicit=True)
                else:
                    self._line.append("\n")
            elif tag == _W + "lastRenderedPageBreak":
                self._page_break(explicit=False)
            elif tag in _REFERENCES:
                self._note((_REFERENCES[tag], child.get(_W + "id") or ""))
            elif tag == _W + "p":  # a paragraph of a table cell
                self._inline(child)
                self._line.append("\n")
            elif tag == _W + "noBreakHyphen":
                self._line.append("-")
            elif tag == _W + "txbxContent":  # a text box: its paragraphs, inline where it is anchored
                self._line.append(" " + plain_text(child) + " ")
            elif tag == _W + "tbl":
                self._line.extend(" " + line for line in self._table_rows(child))
            else:  # runs, hyperlinks, insertions, fields, content controls, drawings: their content
                self._inline(child)

    def _table(self, table: Any) -> None:
        self._end_line()
        self._units.current.lines.extend(self._table_rows(table))
        if self._table_depth == 0:
            breaks, self._breaks_in_table = self._breaks_in_table, 0
            for _ in range(breaks):
                self._page_break(explicit=False, deferred=True)

    def _table_rows(self, table: Any) -> list[str]:
        """The rows of a table as sentences; merged cells repeated in each row or column they cover."""
        self._table_depth += 1
        rows: list[list[str]] = []
        above: dict[int, str] = {}
        for row in table.iter(_W + "tr"):
            if row.getparent() is not table:
                continue  # a row of a nested table, read as that cell's text
            cells: list[str] = []
            for cell in row.iter(_W + "tc"):
                if cell.getparent() is not row:
                    continue
                properties = cell.find(_W + "tcPr")
                span = _int_attribute(properties, "gridSpan", 1)
                merge = properties.find(_W + "vMerge") if properties is not None else None
                if merge is not None and merge.get(_W + "val") != "restart":
                    text = above.get(len(cells), "")
                else:
                    saved, self._line = self._line, []
                    self._inline(cell)
                    text = _SPACES.sub(" ", "".join(self._line).replace("\n", " ")).strip()
                    self._line = saved
                for _ in range(min(span, 64)):
                    above[len(cells)] = text
                    cells.append(text)
            rows.append(cells)
        self._table_depth -= 1
        return table_lines(rows)

    def _page_break(self, *, explicit: bool, deferred: bool = False) -> None:
        if not self._paged:
            return
        if self._table_depth and not deferred:
            self._breaks_in_table += 1
            return
        if not explicit and self._explicit_break:
            self._explicit_break = False  # the page this explicit break began, marked again by Word
            return
        self._end_line()  # the text before the break stays on the page it was on
        self._units.new_page()
        self._explicit_break = explicit

    def _note(self, key: tuple[str, str]) -> None:
        if key in self._notes and key not in self._used_notes:
            self._used_notes.add(key)
            self._units.current.notes.append(self._notes[key])

    def _end_line(self) -> None:
        for line in "".join(self._line).split("\n"):
            text = _SPACES.sub(" ", line).strip()
            if text and text != "-":
                self._units.current.lines.append(text)
        self._line = []

    def _style_chain(self, properties: Any) -> Iterator[str]:
        style = properties.find(_W + "pStyle") if properties is not None else None
        style_id = style.get(_W + "val") if style is not None else None
        for _ in range(10):  # styles based on styles; a loop in a damaged file ends here
            if style_id is None or style_id not in self._styles:
                return
            name, style_id = self._styles[style_id]
            yield name

    def _heading_level(self, properties: Any) -> int | None:
        outline = properties.find(_W + "outlineLvl") if properties is not None else None
        if outline is not None and (outline.get(_W + "val") or "").isdigit():
            return int(outline.get(_W + "val")) + 1
        for name in self._style_chain(properties):
            if match := _HEADING.match(name):
                return int(match.group(1))
        return None

    def _list_prefix(self, properties: Any) -> str:
        numbering = properties.find(_W + "numPr") if properties is not None else None
        if numbering is not None:
            level = _int_attribute(numbering, "ilvl", 0)
            return "  " * min(level, 8) + "- "
        if any(name.lower().startswith("list") for name in self._style_chain(properties)):
            return "- "
        return ""


def _int_attribute(parent: Any, tag: str, default: int) -> int:
    element = parent.find(_W + tag) if parent is not None else None
    value = element.get(_W + "val") if element is not None else None
    return int(value) if value is not None and value.isdigit() else default
