"""The same composed document written as each kind of file Enclave reads, for the per-kind ingestion benchmark.

Prose kinds (PDF, text, Markdown, HTML, e-mail, Word, OpenDocument text, RTF, PowerPoint, scanned PDF) get
the same pages of the same composed document, page for page (a page break, a slide, a scanned page), so their
throughputs compare. A spreadsheet holds records, not prose: the Excel kind is a register of invented people
and payments with about as many words as the prose pages, cut into Enclave's blocks of rows.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import format_datetime
from enum import StrEnum
from html import escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from faker import Faker

from bench.corpus_pages import Block
from bench.corpus_render import PDF_DATE, render_markdown, render_plain_text, write_pdf

Pages = Sequence[Sequence[Block]]
SCAN_DPI = 200
REGISTER_COLUMNS = ("Date", "Customer", "E-mail", "Phone", "Amount", "Reference", "Note")


class FileKind(StrEnum):
    PDF = "pdf"
    TXT = "txt"
    MD = "md"
    HTML = "html"
    EML = "eml"
    DOCX = "docx"
    ODT = "odt"
    RTF = "rtf"
    PPTX = "pptx"
    XLSX = "xlsx"
    SCAN = "scan"

    @property
    def suffix(self) -> str:
        return "pdf" if self is FileKind.SCAN else self.value


def write_text_file(title: str, pages: Pages, path: Path) -> None:
    path.write_text("\n".join(render_plain_text(blocks) for blocks in pages), encoding="utf-8")


def write_markdown(title: str, pages: Pages, path: Path) -> None:
    path.write_text("\n".join(render_markdown(blocks) for blocks in pages), encoding="utf-8")


def _html_block(block: Block) -> str:
    tag = {"title": "h1", "heading": "h2"}.get(block.style, "p")
    return f"<{tag}>{escape(block.text).replace(chr(10), '<br>')}</{tag}>"


def write_html(title: str, pages: Pages, path: Path) -> None:
    body = "\n".join(_html_block(block) for blocks in pages for block in blocks)
    path.write_text(f"<!doctype html><html><head><title>{escape(title)}</title></head><body>{body}</body></html>")


def write_email(title: str, pages: Pages, path: Path) -> None:
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = "records@example.com"
    message["To"] = "archive@example.com"
    message["Date"] = format_datetime(PDF_DATE)
    message.set_content("\n".join(render_plain_text(blocks) for blocks in pages))
    path.write_bytes(message.as_bytes())


def write_docx(title: str, pages: Pages, path: Path) -> None:
    # deferred: heavy (python-docx), only for this kind
    from docx import Document
    from docx.enum.text import WD_BREAK

    document = Document()
    document.core_properties.title = title
    for number, blocks in enumerate(pages):
        for block in blocks:
            if block.style in ("title", "heading"):
                paragraph = document.add_heading(block.text, level=1 if block.style == "title" else 2)
            else:
                paragraph = document.add_paragraph(block.text)
        if number < len(pages) - 1:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    document.save(str(path))


_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


_ODF_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'
)


def write_odt(title: str, pages: Pages, path: Path) -> None:
    parts = []
    for number, blocks in enumerate(pages):
        if number:
            parts.append("<text:soft-page-break/>")
        for block in blocks:
            text = xml_escape(block.text).replace("\n", "<text:line-break/>")
            if block.style in ("title", "heading"):
                level = 1 if block.style == "title" else 2
                parts.append(f'<text:h text:outline-level="{level}">{text}</text:h>')
            else:
                parts.append(f"<text:p>{text}</text:p>")
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS} office:version="1.3">'
        f"<office:body><office:text>{''.join(parts)}</office:text></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", _ODF_MANIFEST)


def _rtf_escape(text: str) -> str:
    out = []
    for character in text:
        if character in "\\{}":
            out.append("\\" + character)
        elif character == "\n":
            out.append("\\line ")
        elif ord(character) > 127:
            code = ord(character)
            out.append(f"\\u{code if code < 32768 else code - 65536}?")
        else:
            out.append(character)
    return "".join(out)


def write_rtf(title: str, pages: Pages, path: Path) -> None:
    paragraphs = [
        ("\\page " if number and index == 0 else "") + "{\\pard " + _rtf_escape(block.text) + "\\par}"
        for number, blocks in enumerate(pages)
        for index, block in enumerate(blocks)
    ]
    path.write_text("{\\rtf1\\ansi\\deff0 " + "\n".join(paragraphs) + "}", encoding="ascii")


def write_pptx(title: str, pages: Pages, path: Path) -> None:
    # deferred: heavy (python-pptx), only for this kind
    from pptx import Presentation

    presentation = Presentation()
    layout = presentation.slide_layouts[1]  # title and content
    for blocks in pages:
        slide = presentation.slides.add_slide(layout)
        headings = [block.text for block in blocks if block.style in ("title", "heading")]
        slide.shapes.title.text = headings[0] if headings else title
        body = slide.placeholders[1].text_frame
        body.text = "\n".join(block.text for block in blocks if block.style not in ("title", "heading"))
    presentation.save(str(path))


def register_rows(words: int, fake: Faker, rng: random.Random) -> list[list[str]]:
    """Rows of a customer register adding up to about ``words`` words."""
    rows: list[list[str]] = []
    total = 0
    while total < words:
        row = [
            fake.date_between("-2y").isoformat(),
            fake.name(),
            fake.email(),
            fake.phone_number(),
            f"{rng.uniform(20, 9000):.2f}",
            f"INV-{rng.randint(10000, 99999)}",
            fake.sentence(nb_words=rng.randint(4, 9)),
        ]
        rows.append(row)
        total += sum(len(cell.split()) for cell in row)
    return rows


def write_xlsx(rows: Sequence[Sequence[str]], path: Path) -> None:
    # deferred: heavy (openpyxl), only for this kind
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Register"
    sheet.append(list(REGISTER_COLUMNS))
    for row in rows:
        sheet.append(list(row))
    workbook.save(str(path))


def write_scan(title: str, pages: Pages, path: Path) -> None:
    """A PDF of page images with no text layer, as a scanner makes: every page goes through OCR."""
    # deferred: heavy (fpdf2, numpy, Pillow), only for this kind
    from fpdf import FPDF

    from bench.ocr_bench import render_page

    pdf = FPDF(format="A4")
    pdf.set_creation_date(PDF_DATE)
    for number, blocks in enumerate(pages):
        image = render_page("\n".join(block.text for block in blocks), SCAN_DPI, seed=number)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.add_page()
        pdf.image(buffer, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.output(str(path))


def _write_pdf(title: str, pages: Pages, path: Path) -> None:
    write_pdf(title, pages, "en", path)


PROSE_WRITERS: dict[FileKind, Callable[[str, Pages, Path], None]] = {
    FileKind.PDF: _write_pdf,
    FileKind.TXT: write_text_file,
    FileKind.MD: write_markdown,
    FileKind.HTML: write_html,
    FileKind.EML: write_email,
    FileKind.DOCX: write_docx,
    FileKind.ODT: write_odt,
    FileKind.RTF: write_rtf,
    FileKind.PPTX: write_pptx,
    FileKind.SCAN: write_scan,
}
