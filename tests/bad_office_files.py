"""Office files built in the tests, good and hostile, each bad one with the reason expected.

Nothing is downloaded: a .docx, .xlsx or .pptx is made by the library that reads it, an OpenDocument file
from a few lines of XML, an OLE2 compound file (.doc, .xls, .ppt, a password-protected Office file) by
``ole2_file``, and the hostile ones by editing those: a ZIP entry that inflates 1000:1, sizes declared past
the limit, a billion-laughs entity, an external entity, a file cut in half or scrambled.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .bad_files import Expected

_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)
_ENCRYPTED_ENTRY = (
    b'><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
    b'<manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>'
)
_ODF_BODY = {"text": "text", "spreadsheet": "spreadsheet", "presentation": "presentation"}
_BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
)


def docx_file(build: Callable[[Any], None]) -> bytes:
    """A .docx made by python-docx: ``build`` fills the new document."""
    import docx

    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_file(sheets: dict[str, list[list[Any]]], hidden: tuple[str, ...] = (), title: str | None = None) -> bytes:
    """A workbook made by openpyxl: sheet name -> rows."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    if title:
        workbook.properties.title = title
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pptx_file(build: Callable[[Any], None]) -> bytes:
    """A presentation made by python-pptx: ``build`` fills the new presentation."""
    import pptx

    presentation = pptx.Presentation()
    build(presentation)
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def odf_file(family: str, body: str, *, automatic_styles: str = "", styles: str = "", title: str = "") -> bytes:
    """An OpenDocument file of ``family`` (text, spreadsheet, presentation) whose body holds ``body``."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS} office:version="1.3">'
        f"<office:automatic-styles>{automatic_styles}</office:automatic-styles>"
        f"<office:body><office:{_ODF_BODY[family]}>{body}</office:{_ODF_BODY[family]}></office:body>"
        "</office:document-content>"
    )
    parts = {
        "content.xml": content,
        "styles.xml": f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {_ODF_NS}>{styles}'
        "</office:document-styles>",
        "meta.xml": f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODF_NS}><office:meta>'
        f"<dc:title>{title}</dc:title><meta:initial-creator>Jane Doe</meta:initial-creator></office:meta>"
        "</office:document-meta>",
        "META-INF/manifest.xml": '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), f"application/vnd.oasis.opendocument.{family}")
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def hidden_style(name: str, family: str) -> str:
    """An automatic style that hides an OpenDocument sheet (family "table") or slide ("drawing-page")."""
    if family == "table":
        properties = '<style:table-properties table:display="false"/>'
        return f'<style:style style:name="{name}" style:family="table">{properties}</style:style>'
    return (
        f'<style:style style:name="{name}" style:family="drawing-page">'
        '<style:drawing-page-properties presentation:visibility="hidden"/></style:style>'
    )


def zip_edit(data: bytes, changes: dict[str, Callable[[bytes], bytes] | bytes]) -> bytes:
    """The ZIP with some entries replaced (bytes), rewritten (a function of their bytes) or added (bytes)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            content = source.read(entry)
            change = changes.get(entry.filename, content)
            archive.writestr(entry.filename, change(content) if callable(change) else change)
        for name, change in changes.items():
            if name not in source.namelist() and isinstance(change, bytes):
                archive.writestr(name, change)
    return out.getvalue()


def with_doctype(xml: bytes, doctype: str, entity_use: bytes, marker: bytes) -> bytes:
    """An XML part with a document type declaration after its XML declaration (if any), ``marker`` replaced
    by ``entity_use``."""
    declaration_end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    return xml[:declaration_end] + doctype.encode() + xml[declaration_end:].replace(marker, entity_use, 1)


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The ZIP with the uncompressed size its central directory declares for ``name`` changed to ``size``."""
    header = b"PK\x01\x02"
    position = data.index(header)
    while position >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == name.encode():
            return data[: position + 24] + struct.pack("<I", size) + data[position + 28 :]
        position = data.find(header, position + 46)
    raise KeyError(name)


def ole2_file(streams: list[str]) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) holding empty streams named ``streams``.

    Enough of the format for a reader to list the streams: a header, one FAT sector, the directory. The
    directory's tree is a chain of right siblings (valid, if not balanced)."""
    entries = [("Root Entry", 5, 1 if streams else 0xFFFFFFFF, 0xFFFFFFFF)]
    for index, name in enumerate(streams, start=1):
        entries.append((name, 2, 0xFFFFFFFF, index + 1 if index < len(streams) else 0xFFFFFFFF))
    directory = b""
    for name, kind, child, right in entries:
        encoded = (name + "\x00").encode("utf-16-le")
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            kind,
            1,  # black
            0xFFFFFFFF,  # left sibling
            right,
            child,
            b"\x00" * 16,
            0,
            0,
            0,
            0xFFFFFFFE,  # start sector: end of chain (an empty stream)
            0,
        )
    directory += b"\x00" * (-len(directory) % 512)
    directory_sectors = len(directory) // 512
    fat = [0xFFFFFFFD] + [sector + 1 for sector in range(1, directory_sectors)] + [0xFFFFFFFE]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + b"\xff" * (512 - 4 * len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<I", 0)
        + b"\xff" * (4 * 108)
    )
    return header + fat_sector + directory


def _small_docx(text: str) -> bytes:
    return docx_file(lambda document: document.add_paragraph(text))


def _scrambled(data: bytes, name: str) -> bytes:
    """The ZIP with the compressed bytes of entry ``name`` scrambled, its directory intact."""
    entry = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    local_name_length, extra_length = struct.unpack_from("<HH", data, entry.header_offset + 26)
    start = entry.header_offset + 30 + local_name_length + extra_length
    end = start + entry.compress_size
    return data[:start] + bytes(b ^ 0x5A for b in data[start:end]) + data[end:]


def bad_office_corpus(secret_path: Path) -> dict[str, tuple[bytes, Expected]]:
    """Every family of hostile or unreadable office file, and two macro-enabled files that load.

    ``secret_path`` is a file the external-entity cases point at: its text must never come out."""
    base = _small_docx("The cafeteria opens at 07:30. PLACEHOLDER")
    xxe = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
    doctype = "^Word document with an XML document type declaration"
    workbook = xlsx_file({"Sheet": [["Item", "Note"], ["lamp", "PLACEHOLDER"]]})
    docm = zip_edit(
        base,
        {
            "[Content_Types].xml": lambda xml: xml.replace(
                b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                b"application/vnd.ms-word.document.macroEnabled.main+xml",
            ),
            "word/vbaProject.bin": b'Attribute VB_Name = "AutoOpen"\x00' * 50,
        },
    )
    xlsm = zip_edit(
        workbook,
        {
            "[Content_Types].xml": lambda xml: xml.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            ),
            "xl/vbaProject.bin": b"Sub Workbook_Open()\x00" * 50,
        },
    )
    files: dict[str, tuple[bytes, Expected]] = {
        "legacy.doc": (ole2_file(["WordDocument", "1Table"]), Expected("^unsupported type: Word 97-2003", ".doc")),
        "legacy.xls": (ole2_file(["Workbook"]), Expected("^unsupported type: Excel 97-2003", ".xls")),
        "legacy.ppt": (ole2_file(["PowerPoint Document"]), Expected("^unsupported type: PowerPoint 97-2003", ".ppt")),
        "protected.docx": (
            ole2_file(["EncryptionInfo", "EncryptedPackage"]),
            Expected("^unsupported type: password-protected Office file", "an encrypted .docx"),
        ),
        "protected.odt": (
            zip_edit(
                odf_file("text", "<text:p>secret</text:p>"),
                {"META-INF/manifest.xml": lambda xml: xml.replace(b"/>", _ENCRYPTED_ENTRY)},
            ),
            Expected("^password-protected OpenDocument text", "an encrypted .odt"),
        ),
        "ratio-bomb.docx": (
            zip_edit(base, {"word/media/padding.bin": b"\x00" * (20 * 1024 * 1024)}),
            Expected(r"compressed more than 100:1 \(a ZIP bomb\?\)$", "20 MiB of zeros in 20 KB"),
        ),
        "size-bomb.docx": (
            declare_size(base, "word/document.xml", 600 * 1024 * 1024),
            Expected(r"^Word document that inflates to \d+ MiB, more than the limit of 512 MiB", "600 MiB declared"),
        ),
        "laughs.docx": (
            zip_edit(
                base, {"word/document.xml": lambda xml: with_doctype(xml, _BILLION_LAUGHS, b"&lol9;", b"PLACEHOLDER")}
            ),
            Expected(doctype, "billion laughs"),
        ),
        "xxe.docx": (
            zip_edit(base, {"word/document.xml": lambda xml: with_doctype(xml, xxe, b"&xxe;", b"PLACEHOLDER")}),
            Expected(doctype, "an external entity"),
        ),
        "xxe.xlsx": (
            zip_edit(
                workbook,
                {
                    "xl/worksheets/sheet1.xml": lambda xml: with_doctype(
                        xml, xxe.replace("w:document", "worksheet"), b"&xxe;", b"PLACEHOLDER"
                    )
                },
            ),
            Expected("^Excel workbook with an XML document type declaration", "an external entity"),
        ),
        "laughs.ods": (
            zip_edit(
                odf_file(
                    "spreadsheet",
                    "<table:table><table:table-row><table:table-cell><text:p>PLACEHOLDER</text:p>"
                    "</table:table-cell></table:table-row></table:table>",
                ),
                {"content.xml": lambda xml: with_doctype(xml, _BILLION_LAUGHS, b"&lol9;", b"PLACEHOLDER")},
            ),
            Expected("^OpenDocument spreadsheet with an XML document type declaration", "billion laughs"),
        ),
        "truncated.docx": (base[: len(base) // 2], Expected(r"^unreadable Office document \(damaged", "cut in half")),
        "scrambled.docx": (
            _scrambled(base, "word/document.xml"),
            Expected(r"^unreadable Word document \(damaged", "its main part scrambled"),
        ),
        "archive.zip": (
            zip_of({"notes.txt": b"Minutes of the meeting."}),
            Expected("^unsupported type: ZIP archive", "a plain ZIP"),
        ),
        "macros.docm": (docm, Expected(None, "a .docm with a VBA project")),
        "macros.xlsm": (xlsm, Expected(None, "a .xlsm with a VBA project")),
    }
    return files


def zip_of(entries: dict[str, bytes]) -> bytes:
    """A ZIP of ``entries`` (name -> content), deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def write_bad_office_corpus(folder: Path, secret_path: Path) -> dict[str, Expected]:
    """``bad_office_corpus`` written into ``folder``: file name -> what its ingestion must give."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (data, expectation) in bad_office_corpus(secret_path).items():
        (folder / name).write_bytes(data)
        expected[name] = expectation
    return expected
