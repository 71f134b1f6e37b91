"""Render a composed document's blocks as Markdown, plain text or a PDF."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.corpus_pages import Block, BlockStyle

TEXT_WRAP_COLUMNS = 78
# Fixed so that the same seed gives byte-identical PDFs.
PDF_DATE = datetime(2024, 1, 15, 9, 0, 0, tzinfo=UTC)
# Core PDF fonts only cover latin-1: typographic characters outside it get their plain equivalents.
LATIN1_FALLBACKS = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "œ": "oe", "Œ": "OE", "€": "EUR"}
)


def to_latin1(text: str) -> str:
    return text.translate(LATIN1_FALLBACKS).encode("latin-1", "replace").decode("latin-1")


def render_markdown(blocks: Sequence[Block]) -> str:
    parts = []
    for block in blocks:
        if block.style == "title":
            parts.append(f"# {block.text}")
        elif block.style == "heading":
            parts.append(f"## {block.text}")
        elif block.style == "fields":
            parts.append("\n".join(f"- {line}" for line in block.text.splitlines()))
        else:
            parts.append(block.text.replace("\n", "  \n"))
    return "\n\n".join(parts) + "\n"


def render_plain_text(blocks: Sequence[Block]) -> str:
    parts = []
    for block in blocks:
        if block.style == "title":
            parts.append(f"{block.text}\n{'=' * len(block.text)}")
        elif block.style == "heading":
            parts.append(block.text.upper())
        elif block.style == "paragraph":
            parts.append(textwrap.fill(block.text, TEXT_WRAP_COLUMNS))
        else:
            parts.append(block.text)
    return "\n\n".join(parts) + "\n"


_PDF_STYLES: dict[BlockStyle, tuple[str, float, float]] = {  # font style, size, line height
    "title": ("B", 14, 7),
    "fields": ("", 9.5, 4.8),
    "heading": ("B", 11.5, 6),
    "paragraph": ("", 10, 4.9),
    "closing": ("I", 10, 4.9),
}


def write_pdf(title: str, pages: Sequence[Sequence[Block]], language: str, path: Path) -> int:
    """Write one PDF page per page of blocks; returns the number of pages actually written."""
    # deferred: heavy (fpdf2), imported only once a corpus has a PDF to write
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_creation_date(PDF_DATE)
    pdf.set_title(to_latin1(title))
    pdf.set_lang(language)
    for blocks in pages:
        pdf.add_page()
        for block in blocks:
            style, size, height = _PDF_STYLES[block.style]
            pdf.set_font("Helvetica", style, size)
            pdf.multi_cell(0, height, to_latin1(block.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2.5)
    pdf.output(str(path))
    return pdf.pages_count
