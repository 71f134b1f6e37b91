"""Office files through the parsers' limits and the ingestion pipeline: hostile and unreadable ones each
refused with a one-line reason, within the parser's time and memory limits, leaving nothing in the store,
while the files beside them are ingested; sheets too large to read whole read up to their limits, with a
warning; names in office files never stored, their facts found."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from ingest.loading import PdfLimits, load_bytes
from rag.errors import UnsupportedDocumentError

from .bad_office_files import (
    bad_office_corpus,
    docx_file,
    odf_file,
    ole2_file,
    pptx_file,
    write_bad_office_corpus,
    xlsx_file,
    zip_edit,
    zip_of,
)
from .test_ingest_sample import _all_bytes


def test_million_row_sheets_are_read_up_to_the_row_limit_with_a_warning() -> None:
    ods = odf_file(
        "spreadsheet",
        '<table:table table:name="Log"><table:table-row><table:table-cell><text:p>Event</text:p></table:table-cell>'
        '</table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell>'
        "<text:p>login</text:p></table:table-cell></table:table-row></table:table>",
    )
    csv = b"Event\n" + b"login\n" * 1_000_000
    cases = (
        (ods, "log.ods", "sheet 1", "sheet Log, rows 99801-100000"),
        (csv, "log.csv", "the file", "rows 99801-100000"),
    )
    for data, name, label, last in cases:
        document = load_bytes(data, name)
        assert len(document.pages) == 500 and document.pages[-1].location == last
        assert document.warnings == [f"{label}: rows after row 100000 were not read (the row limit)"]


def test_a_long_cell_is_cut_with_a_warning_and_a_100_mb_cell_is_refused_as_a_bomb() -> None:
    long_cell = "Clause " + "".join(chr(97 + (n * 7919) % 26) for n in range(1_000_000))
    document = load_bytes(_one_cell_xlsx(long_cell.encode()), "terms.xlsx")
    assert len(document.pages[0].text) < 11_000
    assert document.warnings == ["sheet 1: text cut at 10000 characters in 1 cell(s)"]
    document = load_bytes(f"Clause,Note\nC1,{long_cell}\n".encode(), "terms.csv")  # past csv's own field limit
    assert len(document.text) < 11_000 and document.warnings == ["the file: text cut at 10000 characters in 1 cell(s)"]
    with pytest.raises(UnsupportedDocumentError, match=r"compressed more than 100:1 \(a ZIP bomb\?\)$"):
        load_bytes(_one_cell_xlsx(b"x" * 100_000_000), "huge-cell.xlsx")


def test_a_workbook_past_the_page_limit_is_read_up_to_it_with_a_warning() -> None:
    rows = [["Ticket"]] + [[f"T-{n}"] for n in range(300)]
    document = load_bytes(xlsx_file({"A": rows, "B": rows}), "tickets.xlsx", max_pages=3)
    assert [page.location for page in document.pages] == [
        "sheet A, rows 1-200",
        "sheet A, rows 201-301",
        "sheet B, rows 1-200",
    ]
    assert document.warnings == ["only the first 3 pages of rows were read (the page limit)"]


def _one_cell_xlsx(text: bytes) -> bytes:
    """A workbook whose cell A2 holds ``text`` (openpyxl cuts a cell to Excel's 32 767 characters)."""
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>Clause</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + text + b"</t></is></c></row></sheetData></worksheet>"
    )
    return zip_edit(xlsx_file({"Terms": [["x"]]}), {"xl/worksheets/sheet1.xml": sheet})


def test_an_xlsx_parse_over_the_time_limit_is_stopped() -> None:
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 200_001))
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:A200000"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()
    data = zip_edit(xlsx_file({"Numbers": [[1]]}), {"xl/worksheets/sheet1.xml": sheet})
    with pytest.raises(UnsupportedDocumentError, match=r"^Excel workbook parsing took longer than the limit of 0.5 s$"):
        load_bytes(data, "numbers.xlsx", pdf_limits=PdfLimits(timeout_seconds=0.5))
    assert load_bytes(xlsx_file({"Small": [["a"], ["b"]]}), "small.xlsx").kind == "xlsx"  # the next file parses


def test_a_docx_parse_over_the_memory_limit_is_stopped() -> None:
    paragraphs = "".join(
        f"<w:p><w:r><w:t>Clause {n} of the agreement applies to site {n * 7919 % 10007}.</w:t></w:r></w:p>"
        for n in range(600_000)
    ).encode()  # 50 MB of XML, 4 MB compressed: a tree of several hundred MB
    data = zip_edit(
        docx_file(lambda document: document.add_paragraph("Start")),
        {"word/document.xml": lambda xml: xml.replace(b"<w:p>", paragraphs + b"<w:p>", 1)},
    )
    with pytest.raises(
        UnsupportedDocumentError, match=r"^Word document parsing needed more than the limit of 256 MiB$"
    ):
        load_bytes(data, "long.docx", pdf_limits=PdfLimits(memory_mb=256))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (ole2_file(["WordDocument"]), "unsupported type: Word 97-2003 document (.doc); save it as .docx to ingest it"),
        (ole2_file(["Book"]), "unsupported type: Excel 95 workbook (.xls); save it as .xlsx to ingest it"),
        (ole2_file(["Contents"]), "unsupported type: OLE2 compound file of an unknown kind"),
        (ole2_file(["WordDocument"])[:600], "unsupported type: damaged OLE2 compound file"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00", "unsupported type: GIF image"),
        (bytes(range(256)), "unsupported type: binary content of an unknown kind"),
        (
            zip_edit(odf_file("text", ""), {"mimetype": b"application/vnd.oasis.opendocument.graphics"}),
            "unsupported type: OpenDocument graphics file",
        ),
        (
            zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00"}),
            "unsupported type: Excel binary workbook (.xlsb); save it as .xlsx",
        ),
    ],
)
def test_other_binaries_are_refused_naming_what_they_are(data: bytes, reason: str) -> None:
    with pytest.raises(UnsupportedDocumentError) as raised:
        load_bytes(data, "file.doc")
    assert raised.value.detail == reason


def test_each_bad_office_file_fails_with_a_one_line_reason(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7781", encoding="utf-8")
    for name, (data, expected) in bad_office_corpus(secret).items():
        if expected.reason is None:
            document = load_bytes(data, name)
            assert document.text and "VB_Name" not in document.text and "Workbook_Open" not in document.text
            continue
        with pytest.raises(UnsupportedDocumentError) as raised:
            load_bytes(data, name)
        reason = raised.value.detail
        assert re.search(expected.reason, reason), (name, reason)
        assert "\n" not in reason and len(reason) < 200 and "TOPSECRET" not in str(raised.value)


def test_the_parsers_themselves_resolve_no_entity(tmp_path: Path) -> None:
    """The second lock behind ``archive.checked_zip``'s refusal of document type declarations."""
    import docx
    import openpyxl
    from defusedxml import EntitiesForbidden
    from lxml.etree import XMLSyntaxError

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7781", encoding="utf-8")
    corpus = bad_office_corpus(secret)
    document = docx.Document(io.BytesIO(corpus["xxe.docx"][0]))
    assert [paragraph.text for paragraph in document.paragraphs] == ["The cafeteria opens at 07:30. "]
    with pytest.raises(XMLSyntaxError, match="amplification"):
        docx.Document(io.BytesIO(corpus["laughs.docx"][0]))
    with pytest.raises(ValueError) as raised:
        openpyxl.load_workbook(io.BytesIO(corpus["xxe.xlsx"][0]), read_only=True)
    assert isinstance(raised.value.__cause__ or raised.value.__context__, EntitiesForbidden)


def test_bad_office_files_fail_alone_leaving_nothing_stored(tmp_path: Path, pipeline_factory: Any) -> None:
    from ingest.check import check_consistency

    from .conftest import MEMO

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7781", encoding="utf-8")
    folder = tmp_path / "share"
    expected = write_bad_office_corpus(folder, secret)
    (folder / "memo.txt").write_text(MEMO, encoding="utf-8")
    pipeline = pipeline_factory()
    report = pipeline.ingest_paths([folder], "default")
    outcomes = {outcome.source: outcome for outcome in report.outcomes}
    assert set(outcomes) == {*expected, "memo.txt"}
    for name, expectation in expected.items():
        outcome = outcomes[name]
        if expectation.reason is None:
            assert outcome.status == "new" and outcome.chunks > 0, (name, outcome.reason)
            continue
        reason = outcome.reason or ""
        assert outcome.status == "failed" and re.search(expectation.reason, reason), (name, reason)
        assert "\n" not in reason and len(reason) < 200
        assert pipeline.store.chunk_ids("default", outcome.document_id) == []
    assert outcomes["memo.txt"].status == "new"
    assert {hit.source for hit in pipeline.store.get_chunks("default")} == {"memo.txt", "macros.docm", "macros.xlsm"}
    consistency = check_consistency(pipeline.ledger, pipeline.store, tmp_path / "data" / "lexical.sqlite3")
    assert consistency.consistent, consistency.to_dict()
    assert not any(b"TOPSECRET" in content for _, content in _all_bytes(tmp_path / "data"))


def test_a_name_alone_in_a_customer_column_is_redacted(redactor: Any) -> None:
    """Written as "Customer: <name>", a name alone in its cell has the context the redactor needs."""
    data = xlsx_file(
        {"Orders": [["Customer", "Order", "Total"], ["Harriet Lindqvist", 4471, 120], ["Tobias Renner", 4472, 80]]}
    )
    text = load_bytes(data, "orders.xlsx").text
    assert "Customer: Harriet Lindqvist; Order: 4471" in text
    redacted = redactor.redact(text).text
    assert "Harriet" not in redacted and "Lindqvist" not in redacted and "Renner" not in redacted
    assert "Customer: <PERSON_1>; Order: 4471; Total: 120" in redacted


_NAMES = ("Tobias Renner", "Margaret Thornton", "Harriet Lindqvist", "Oliver Brandt", "Sofia Marchetti")


def _office_share(folder: Path) -> None:
    """A .docx (names in a table, a comment and the author property), an .xlsx (a name in a Customer
    column), a .pptx (a name in the speaker notes), each with a fact to find."""

    def report(document: Any) -> None:
        document.core_properties.author = "Harriet Lindqvist"
        document.add_heading("Equipment policy", 1)
        paragraph = document.add_paragraph("Laptops are replaced every four years.")
        document.add_comment(
            paragraph.runs[0], text="Margaret Thornton approved this rule.", author="Harriet Lindqvist"
        )
        table = document.add_table(rows=2, cols=2)
        for r, row in enumerate([("Name", "Role"), ("Tobias Renner", "Asset manager")]):
            for c, value in enumerate(row):
                table.cell(r, c).text = value

    def deck(presentation: Any) -> None:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = "Office openings"
        slide.placeholders[1].text = "The Lyon office opens in May."
        slide.notes_slide.notes_text_frame.text = "Call Sofia Marchetti before the review."

    folder.mkdir()
    (folder / "policy.docx").write_bytes(docx_file(report))
    orders = [["Customer", "Order", "Product"], ["Oliver Brandt", 4471, "standing desk"], ["Northwind", 4472, "lamp"]]
    (folder / "orders.xlsx").write_bytes(xlsx_file({"Orders": orders}))
    (folder / "openings.pptx").write_bytes(pptx_file(deck))


def test_names_in_office_files_never_reach_the_data_dir_and_their_facts_are_found(
    tmp_path: Path, pipeline_factory: Any, embedder: Any
) -> None:
    folder = tmp_path / "share"
    _office_share(folder)
    pipeline = pipeline_factory()
    report = pipeline.ingest_paths([folder], "default")
    assert report.failures == [] and report.count("new") == 3
    leaks = [
        (name, path.name)
        for name in _NAMES
        for path, content in _all_bytes(tmp_path / "data")
        for encoding in ("utf-8", "utf-16-le")
        if name.encode(encoding) in content
    ]
    assert leaks == []
    # Not dropped but redacted: the comment, the customer and the speaker notes are stored with placeholders.
    stored = {hit.source: "" for hit in pipeline.store.get_chunks("default")}
    for hit in pipeline.store.get_chunks("default"):
        stored[hit.source] += " " + " ".join(hit.text.split())
    assert re.search(r"Comment: <PERSON_\d+> approved this rule", stored["policy.docx"])
    assert re.search(r"Customer: <PERSON_\d+>; Order: 4471", stored["orders.xlsx"])
    assert re.search(r"Notes: Call <PERSON_\d+> before the review", stored["openings.pptx"])
    for question, answer, source in (
        ("How often are laptops replaced?", "every four years", "policy.docx"),
        ("Which product was in order 4471?", "standing desk", "orders.xlsx"),
        ("When does the Lyon office open?", "opens in May", "openings.pptx"),
    ):
        hits = pipeline.store.query("default", embedder.embed([question])[0], top_k=3)
        assert any(answer in hit.text and hit.source == source for hit in hits), (question, hits)
