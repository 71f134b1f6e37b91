"""Office documents: detected by content, read with their tables, notes and locations; every hostile or
unreadable one refused with a one-line reason, within the parser's limits; names in them never stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.loading import LOADERS, load_bytes, sniff_kind

from .bad_office_files import (
    docx_file,
    hidden_style,
    odf_file,
    ole2_file,
    pptx_file,
    xlsx_file,
    zip_edit,
)

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FOOTNOTES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{_W_NS}">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t>Source: the 2024 staff survey.</w:t></w:r>'
    "</w:p></w:footnote></w:footnotes>"
).encode()


def _with_footnote(data: bytes, marker: bytes) -> bytes:
    """A .docx with a footnotes part and a reference to footnote 1 where ``marker`` is (python-docx writes
    no footnotes)."""
    rel = (
        b'<Relationship Id="rIdFootnotes" Target="footnotes.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"/></Relationships>'
    )
    override = (
        b'<Override PartName="/word/footnotes.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>'
    )
    reference = b'</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r><w:r><w:t>'
    return zip_edit(
        data,
        {
            "word/footnotes.xml": _FOOTNOTES,
            "word/_rels/document.xml.rels": lambda xml: xml.replace(b"</Relationships>", rel),
            "[Content_Types].xml": lambda xml: xml.replace(b"</Types>", override),
            "word/document.xml": lambda xml: xml.replace(marker, reference),
        },
    )


def _report(document: Any) -> None:
    document.core_properties.title = "Staffing plan 2025"
    document.core_properties.author = "Jane Doe"
    document.core_properties.last_modified_by = "Jane Doe"
    for section in document.sections:
        section.header.paragraphs[0].text = "ACME internal"
        section.footer.paragraphs[0].text = "Staffing plan"
    document.add_paragraph("Prepared for the board.")
    document.add_heading("Introduction", 1)
    document.add_paragraph("The team grows in spring. FOOTNOTE")
    document.add_paragraph("Hire two analysts", style="List Bullet")
    document.add_paragraph("Open the Lyon office", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([("Name", "Role"), ("Alice Martin", "Analyst"), ("Bob Stone", "Engineer")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_heading("Details", 2)
    document.add_heading("Budget", 1)
    paragraph = document.add_paragraph("The budget is 40 000 euros.")
    document.add_comment(paragraph.runs[0], text="Confirm the figure with finance.", author="Jane Doe")


def test_docx_reads_in_order_with_tables_lists_notes_and_sections() -> None:
    document = load_bytes(_with_footnote(docx_file(_report), b"FOOTNOTE"), "plan.docx")
    assert document.kind == "docx" and document.title == "Staffing plan 2025"
    assert [(page.number, page.location) for page in document.pages] == [
        (1, "section 1"),
        (2, "section 2: Introduction"),
        (3, "section 3: Budget"),
    ]
    first, intro, budget = (page.text.splitlines() for page in document.pages)
    assert first == [
        "Title: Staffing plan 2025",
        "Header: ACME internal",
        "Footer: Staffing plan",
        "Prepared for the board.",
    ]
    assert intro == [
        "Introduction",
        "The team grows in spring.",
        "- Hire two analysts",
        "- Open the Lyon office",
        "Columns: Name; Role",
        "Name: Alice Martin; Role: Analyst",
        "Name: Bob Stone; Role: Engineer",
        "Details",
        "Footnote: Source: the 2024 staff survey.",
    ]
    assert budget == ["Budget", "The budget is 40 000 euros.", "Comment: Confirm the figure with finance."]
    assert "Jane Doe" not in document.text  # author, last editor and comment author are left out


def test_docx_page_breaks_number_the_pages() -> None:
    from docx.enum.text import WD_BREAK

    def build(document: Any) -> None:
        document.add_paragraph("Page one.")
        document.add_paragraph("Still page one.").add_run().add_break(WD_BREAK.PAGE)
        document.add_paragraph("RENDERED Page two, marked again by Word.")
        document.add_paragraph("Page two, then Word broke the page: RENDERED page three.")

    # Word marks where it broke pages; after an explicit break it marks the new page too: counted once.
    rendered = b'</w:t><w:lastRenderedPageBreak/><w:t xml:space="preserve">'
    data = zip_edit(docx_file(build), {"word/document.xml": lambda xml: xml.replace(b"RENDERED", rendered)})
    document = load_bytes(data, "paged.docx")
    assert [(page.number, page.location) for page in document.pages] == [(1, "page 1"), (2, "page 2"), (3, "page 3")]
    assert document.pages[0].text == "Page one.\nStill page one."
    assert document.pages[1].text == "Page two, marked again by Word.\nPage two, then Word broke the page:"
    assert document.pages[2].text == "page three."


def _xlsx_with_cached_formula() -> bytes:
    data = xlsx_file(
        {
            "Customers": [[], ["Customer", "Amount", "Status"], ["Northwind", 1200, "paid"], ["Contoso", 80.5, None]],
            "Salaries": [["Grade", "Monthly"], ["A", "=2000*1.5"]],
        },
        hidden=("Salaries",),
        title="Accounts",
    )
    # openpyxl writes formulas without the value Excel caches; put one in, as Excel would.
    return zip_edit(data, {"xl/worksheets/sheet2.xml": lambda xml: xml.replace(b"<v></v>", b"<v>3000</v>")})


def test_xlsx_rows_as_header_value_pairs_hidden_sheets_marked_formulas_cached() -> None:
    document = load_bytes(_xlsx_with_cached_formula(), "accounts.xlsx")
    assert document.kind == "xlsx" and document.title == "Accounts"
    assert [(page.number, page.location) for page in document.pages] == [
        (1, "sheet Customers, rows 2-4"),
        (2, "sheet Salaries (hidden), rows 1-2"),
    ]
    assert document.pages[0].text.splitlines() == [
        "Title: Accounts",
        "Sheet Customers",
        "Columns: Customer; Amount; Status",
        "Customer: Northwind; Amount: 1200; Status: paid",
        "Customer: Contoso; Amount: 80.5",
    ]
    assert document.pages[1].text.splitlines()[-1] == "Grade: A; Monthly: 3000"
    assert document.warnings == []


def test_a_large_sheet_is_split_into_blocks_of_rows() -> None:
    rows = [["Ticket", "Team"]] + [[f"T-{n}", "Support"] for n in range(2, 452)]
    document = load_bytes(xlsx_file({"Tickets": rows}), "tickets.xlsx")
    assert [page.location for page in document.pages] == [
        "sheet Tickets, rows 1-200",
        "sheet Tickets, rows 201-400",
        "sheet Tickets, rows 401-451",
    ]
    assert "Ticket: T-451; Team: Support" in document.pages[2].text


def test_csv_and_tsv_rows_with_their_delimiter() -> None:
    semicolons = "Nom;Ville;Montant\nDupont SA;Lyon;1 200\nMartin SARL;Nantes;300\n".encode("cp1252")
    document = load_bytes(semicolons, "export.csv")
    assert document.kind == "csv"
    assert [page.location for page in document.pages] == ["rows 1-3"]
    assert document.pages[0].text.splitlines()[1] == "Nom: Dupont SA; Ville: Lyon; Montant: 1 200"
    tabs = load_bytes(b"Item\tCount\nlamp\t3\n", "stock.tsv")
    assert tabs.pages[0].text.splitlines() == ["Columns: Item; Count", "Item: lamp; Count: 3"]


def _deck(presentation: Any) -> None:
    from pptx.util import Inches

    presentation.core_properties.title = "Quarterly review"
    presentation.core_properties.author = "Jane Doe"
    first = presentation.slides.add_slide(presentation.slide_layouts[1])
    first.shapes.title.text = "Quarterly plan"
    first.placeholders[1].text = "Revenue grew by four percent\nThe Lyon office opens in May"
    first.notes_slide.notes_text_frame.text = "Mention the delayed supplier."
    second = presentation.slides.add_slide(presentation.slide_layouts[5])
    second.shapes.title.text = "Team"
    table = second.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([("Name", "Role"), ("Alice Martin", "Analyst"), ("Bob Stone", "Engineer")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    hidden = presentation.slides.add_slide(presentation.slide_layouts[6])
    hidden.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1)).text_frame.text = "Backup figures"
    hidden.element.set("show", "0")
    presentation.slides.add_slide(presentation.slide_layouts[6])  # a slide with no text


def test_pptx_one_page_per_slide_with_tables_and_notes() -> None:
    document = load_bytes(pptx_file(_deck), "review.pptx")
    assert document.kind == "pptx" and document.title == "Quarterly review"
    assert [(page.number, page.location) for page in document.pages] == [
        (1, "slide 1"),
        (2, "slide 2"),
        (3, "slide 3 (hidden)"),
    ]
    assert document.pages_without_text == 1
    assert document.pages[0].text.splitlines() == [
        "Title: Quarterly review",
        "Quarterly plan",
        "Revenue grew by four percent",
        "The Lyon office opens in May",
        "Notes: Mention the delayed supplier.",
    ]
    assert document.pages[1].text.splitlines()[1:] == [
        "Columns: Name; Role",
        "Name: Alice Martin; Role: Analyst",
        "Name: Bob Stone; Role: Engineer",
    ]
    assert "Jane Doe" not in document.text


_ODT_BODY = (
    "<text:p>Prepared for the board.</text:p>"
    '<text:h text:outline-level="1">Introduction</text:h>'
    '<text:p>The team grows<text:s text:c="3"/>in spring.<text:note text:note-class="footnote">'
    "<text:note-citation>1</text:note-citation><text:note-body><text:p>Source: the 2024 survey.</text:p>"
    "</text:note-body></text:note></text:p>"
    "<text:list><text:list-item><text:p>Hire two analysts</text:p><text:list><text:list-item>"
    "<text:p>one in Lyon</text:p></text:list-item></text:list></text:list-item></text:list>"
    '<table:table table:name="Staff"><table:table-column table:number-columns-repeated="2"/>'
    "<table:table-header-rows><table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell>"
    "<table:table-cell><text:p>Role</text:p></table:table-cell></table:table-row></table:table-header-rows>"
    "<table:table-row><table:table-cell><text:p>Alice Martin</text:p></table:table-cell>"
    "<table:table-cell><text:p>Analyst</text:p></table:table-cell></table:table-row></table:table>"
    '<text:h text:outline-level="1">Budget</text:h>'
    "<text:p>The budget is 40 000 euros.<office:annotation><dc:creator>Jane Doe</dc:creator>"
    "<text:p>Confirm with finance.</text:p></office:annotation></text:p>"
)
_ODT_STYLES = (
    '<office:master-styles><style:master-page style:name="Standard"><style:header><text:p>ACME internal'
    "</text:p></style:header><style:footer><text:p>Page <text:page-number>1</text:page-number></text:p>"
    "</style:footer></style:master-page></office:master-styles>"
)


def test_odt_sections_lists_tables_notes_and_comments() -> None:
    document = load_bytes(odf_file("text", _ODT_BODY, styles=_ODT_STYLES, title="Staffing plan"), "plan.odt")
    assert document.kind == "odt" and document.title == "Staffing plan"
    assert [page.location for page in document.pages] == [
        "section 1",
        "section 2: Introduction",
        "section 3: Budget",
    ]
    assert document.pages[0].text.splitlines() == [
        "Title: Staffing plan",
        "Header: ACME internal",
        "Footer: Page",
        "Prepared for the board.",
    ]
    assert document.pages[1].text.splitlines() == [
        "Introduction",
        "The team grows in spring.",
        "- Hire two analysts",
        "  - one in Lyon",
        "Columns: Name; Role",
        "Name: Alice Martin; Role: Analyst",
        "Footnote: Source: the 2024 survey.",
    ]
    assert document.pages[2].text.splitlines() == [
        "Budget",
        "The budget is 40 000 euros.",
        "Comment: Confirm with finance.",
    ]
    assert "Jane Doe" not in document.text


def test_odt_soft_page_breaks_number_the_pages() -> None:
    body = (
        "<text:p>One.</text:p><text:soft-page-break/><text:p>Two.</text:p>"
        "<text:p>Three<text:soft-page-break/>.</text:p>"
    )
    document = load_bytes(odf_file("text", body), "paged.odt")
    assert [(page.number, page.location, page.text) for page in document.pages] == [
        (1, "page 1", "One."),
        (2, "page 2", "Two."),
        (3, "page 3", "Three."),
    ]


def test_ods_hidden_sheets_and_repeated_cells() -> None:
    cell = "<table:table-cell><text:p>{}</text:p></table:table-cell>"
    body = (
        '<table:table table:name="Customers"><table:table-row><table:table-cell table:number-columns-repeated="3"/>'
        "</table:table-row><table:table-row>" + cell.format("Customer") + cell.format("Amount") + "</table:table-row>"
        "<table:table-row>"
        + cell.format("Northwind")
        + '<table:table-cell office:value-type="float" office:value="1200">'
        "<text:p>1,200.00</text:p></table:table-cell></table:table-row>"
        '<table:table-row table:number-rows-repeated="2">' + cell.format("Contoso") + "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/>'
        "</table:table-row></table:table>"
        '<table:table table:name="Salaries" table:style-name="ta2"><table:table-row>'
        + cell.format("Grade")
        + '</table:table-row><table:table-row><table:table-cell office:value-type="float" office:value="3"/>'
        "</table:table-row></table:table>"
    )
    hidden = hidden_style("ta2", "table")
    document = load_bytes(odf_file("spreadsheet", body, automatic_styles=hidden), "accounts.ods")
    assert document.kind == "ods"
    assert [page.location for page in document.pages] == [
        "sheet Customers, rows 2-5",
        "sheet Salaries (hidden), rows 1-2",
    ]
    assert document.pages[0].text.splitlines() == [
        "Sheet Customers",
        "Columns: Customer; Amount",
        "Customer: Northwind; Amount: 1,200.00",
        "Customer: Contoso",
        "Customer: Contoso",
    ]
    assert document.pages[1].text.splitlines()[-1] == "Grade: 3"


def test_odp_slides_with_titles_tables_and_notes() -> None:
    frame = '<draw:frame presentation:class="{}"><draw:text-box>{}</draw:text-box></draw:frame>'
    body = (
        '<draw:page draw:name="p1">'
        + frame.format(
            "outline", "<text:list><text:list-item><text:p>Revenue grew</text:p></text:list-item></text:list>"
        )
        + frame.format("title", "<text:p>Quarterly plan</text:p>")
        + '<presentation:notes><draw:page-thumbnail presentation:class="page"/>'
        + frame.format("notes", "<text:p>Mention the supplier.</text:p>")
        + "</presentation:notes></draw:page>"
        '<draw:page draw:name="p2" draw:style-name="dp2"><draw:frame><table:table><table:table-row>'
        "<table:table-cell><text:p>Site</text:p></table:table-cell></table:table-row><table:table-row>"
        "<table:table-cell><text:p>Lyon</text:p></table:table-cell></table:table-row></table:table></draw:frame>"
        "</draw:page>"
    )
    hidden = hidden_style("dp2", "drawing-page")
    document = load_bytes(odf_file("presentation", body, automatic_styles=hidden), "review.odp")
    assert document.kind == "odp"
    assert [(page.location, page.text.splitlines()) for page in document.pages] == [
        ("slide 1", ["Quarterly plan", "- Revenue grew", "Notes: Mention the supplier."]),
        ("slide 2 (hidden)", ["Columns: Site", "Site: Lyon"]),
    ]


def test_rtf_text() -> None:
    rtf = rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}\f0 Le si\'e8ge est ferm\'e9 le lundi.\par Second line.}"
    document = load_bytes(rtf, "note.rtf")
    assert document.kind == "rtf"
    assert document.text == "Le siège est fermé le lundi.\nSecond line."


def test_office_files_are_detected_by_content_not_their_name() -> None:
    docx = docx_file(lambda document: document.add_paragraph("Minutes of the meeting."))
    for name in ("minutes.bin", "minutes.txt", "minutes.pdf", "minutes"):
        document = load_bytes(docx, name)
        assert document.kind == "docx" and document.text == "Minutes of the meeting."
    assert sniff_kind(xlsx_file({"S": [["a"]]}), ".dat") == "xlsx"
    assert sniff_kind(pptx_file(lambda presentation: None), ".txt") == "pptx"
    for family, kind in (("text", "odt"), ("spreadsheet", "ods"), ("presentation", "odp")):
        assert sniff_kind(odf_file(family, ""), ".zip") == kind
    assert sniff_kind(b"{\\rtf1\\ansi hello}", ".txt") == "rtf"
    assert sniff_kind(b"a,b\n1,2\n", ".csv") == "csv" and sniff_kind(b"a,b\n1,2\n", ".txt") == "text"
    # The kinds other loaders read: Outlook messages and images.
    assert sniff_kind(ole2_file(["__substg1.0_0037001F", "__properties_version1.0"]), ".bin") == "msg"
    for magic in (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*"):
        assert sniff_kind(magic + bytes(100), ".dat") == "image"


def test_every_kind_detected_has_a_loader_and_every_loader_a_kind() -> None:
    samples = {
        "a.pdf": b"%PDF-1.7\n",
        "a.eml": b"From: a@example.com\nTo: b@example.com\nSubject: hi\n\nbody",
        "a.html": b"<!doctype html><html><body>hello</body></html>",
        "a.md": b"# Notes",
        "a.txt": b"plain text",
        "a.csv": b"a,b\n1,2",
        "a.rtf": b"{\\rtf1 hello}",
        "a.docx": docx_file(lambda document: None),
        "a.xlsx": xlsx_file({"S": [["a"]]}),
        "a.pptx": pptx_file(lambda presentation: None),
        "a.odt": odf_file("text", ""),
        "a.ods": odf_file("spreadsheet", ""),
        "a.odp": odf_file("presentation", ""),
        "a.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "a.msg": ole2_file(["__substg1.0_0037001F"]),
    }
    kinds = {sniff_kind(data, Path(name).suffix) for name, data in samples.items()}
    assert kinds == set(LOADERS)
