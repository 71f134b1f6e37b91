"""PowerPoint (.pptx, .pptm): one page per slide, located "slide N" ("slide N (hidden)" for a hidden one).

A slide's page holds its title, the text of its shapes (grouped shapes too) in the order they are drawn,
its tables (a row as "Header: value" pairs) and its speaker notes ("Notes: ..."). The title property is
read as "Title: ..."; the author properties are left out. Charts and pictures carry no text read here.

Library: python-pptx, whose lxml parser never resolves entities; ``archive.checked_zip`` has bounded the
ZIP before. Macros (.pptm) are never run: the VBA part is never read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ingest.loading.archive import checked_zip
from ingest.loading.loader import LoadOptions
from ingest.loading.office import library_errors, table_lines, with_title
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument, Page

WHAT = "PowerPoint presentation"
_SPACES = re.compile(r"[ \t\u000b]+")


def load_pptx(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """A presentation as one page per slide that has text."""
    checked_zip(data, WHAT).close()
    # deferred: heavy (python-pptx and lxml, imported in the parser's worker only)
    from pptx import Presentation

    pages: list[Page] = []
    with library_errors(WHAT):
        presentation = Presentation(io.BytesIO(data))
        slides = list(presentation.slides)
        if len(slides) > options.max_pages:
            raise UnsupportedDocumentError(
                f"{WHAT} has {len(slides)} slides, more than the limit of {options.max_pages}"
            )
        for number, slide in enumerate(slides, start=1):
            lines = _slide_lines(slide)
            if lines:
                hidden = slide.element.get("show") in ("0", "false")
                location = f"slide {number}" + (" (hidden)" if hidden else "")
                pages.append(Page(number=number, text="\n".join(lines), location=location))
        title = presentation.core_properties.title or None
    return LoadedDocument(
        kind="pptx", pages=with_title(pages, title), title=title, pages_without_text=len(slides) - len(pages)
    )


def _slide_lines(slide: Any) -> list[str]:
    title_shape = slide.shapes.title
    lines = _shape_lines(title_shape) if title_shape is not None else []
    for shape in _shapes(slide.shapes):
        if title_shape is None or shape.shape_id != title_shape.shape_id:
            lines.extend(_shape_lines(shape))
    if slide.has_notes_slide:
        notes_frame = slide.notes_slide.notes_text_frame
        notes = _one_line(notes_frame.text) if notes_frame is not None else ""
        if notes:
            lines.append(f"Notes: {notes}")
    return lines


def _shapes(shapes: Iterable[Any]) -> Iterator[Any]:
    """Every shape, the members of a group in place of the group."""
    for shape in shapes:
        members = getattr(shape, "shapes", None)  # a group shape
        if members is not None:
            yield from _shapes(members)
        else:
            yield shape


def _shape_lines(shape: Any) -> list[str]:
    if getattr(shape, "has_table", False):
        rows = [[_one_line(cell.text) for cell in row.cells] for row in shape.table.rows]
        return table_lines(rows)
    if getattr(shape, "has_text_frame", False):
        return [line for paragraph in shape.text_frame.paragraphs if (line := _one_line(paragraph.text))]
    return []


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()
