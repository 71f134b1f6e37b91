"""Writes the corpus files and the manifest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sample_corpus.catalogue import DOCUMENTS
from sample_corpus.manifest import manifest
from sample_corpus.model import Document

# Fixed so that regenerated PDFs are identical and do not show up as changes.
PDF_DATE = datetime(2024, 3, 1, 9, 0, 0, tzinfo=UTC)


def write_pdf(doc: Document, path: Path) -> None:
    # deferred: heavy (fpdf2), needed only when PDFs are written, not by --check or importers of the texts
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_creation_date(PDF_DATE)
    pdf.set_title(doc.title)
    pdf.set_lang(doc.language)
    total = len(doc.pages)

    for number, page in enumerate(doc.pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(0, 5, doc.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        for block in page.split("\n\n"):
            if block.startswith("## "):
                pdf.set_font("Helvetica", "B", 13)
                pdf.multi_cell(0, 7, block[3:], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(1)
            else:
                pdf.set_font("Helvetica", "", 10.5)
                pdf.multi_cell(0, 5.2, block, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(3)
        # One source page must stay one PDF page: facts are tied to page numbers.
        if pdf.page != number:
            raise RuntimeError(f"{doc.file}: page {number} overflowed onto page {pdf.page}")
        # The footer sits inside the bottom margin, where auto page break would fire.
        pdf.set_auto_page_break(auto=False)
        pdf.set_y(-15)
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(0, 5, f"Page {number} / {total}", align="C")
        pdf.set_auto_page_break(auto=True, margin=20)

    pdf.output(str(path))


def write_document(doc: Document, out: Path) -> None:
    if doc.is_pdf:
        for page in doc.pages:
            # Core PDF fonts only cover latin-1; fail here rather than with an
            # obscure fpdf2 error or a silently replaced character.
            page.encode("latin-1")
        write_pdf(doc, out / doc.file)
    else:
        (out / doc.file).write_text(doc.pages[0], encoding="utf-8", newline="\n")


def generate(out: Path, manifest_path: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for doc in DOCUMENTS:
        write_document(doc, out)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(
        json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
    )
