"""Outlook .msg messages and the attachments of .eml and .msg: the message as text, each attachment as a file.

The .msg files are built here: extract-msg's own ``OleWriter`` writes the compound file, and ``outlook_message``
lays out the MAPI properties in it as [MS-OXMSG] describes (a property stream per object, strings and binary
values in streams of their own), so no binary is committed and no Outlook is needed.
"""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from extract_msg import OleWriter

from ingest.loading.email import MAX_ATTACHMENTS, Attachments, load_email
from ingest.loading.loader import LoadOptions, PdfLimits
from ingest.loading.msg import load_msg
from ingest.loading.registry import load_bytes
from rag.errors import UnsupportedDocumentError

IN_PROCESS = PdfLimits(isolated=False)
PT_LONG, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x0040, 0x001F, 0x0102
LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 600  # what a signature logo looks like to the loader: a small PNG
PDF = b"%PDF-1.4\n" + b"0" * 20_000 + b"\n%%EOF\n"


def mapi_streams(header: bytes, values: dict[int, tuple[int, object]]) -> dict[str, bytes]:
    """An object's ``__properties_version1.0`` stream (``header``, then 16 bytes per property) and the streams
    of its strings and binary values, keyed by stream name."""
    entries, streams = [header], {}
    for prop, (kind, value) in values.items():
        tag = (prop << 16) | kind
        if kind in (PT_UNICODE, PT_BINARY):
            data = str(value).encode("utf-16-le") if kind == PT_UNICODE else bytes(value)  # type: ignore[call-overload]
            size = len(data) + (2 if kind == PT_UNICODE else 0)  # a string's size counts its terminator
            entries.append(struct.pack("<IIII", tag, 6, size, 0))
            streams[f"__substg1.0_{tag:08X}"] = data
        else:
            entries.append(struct.pack("<II", tag, 6) + bytes(value).ljust(8, b"\x00"))  # type: ignore[call-overload]
    streams["__properties_version1.0"] = b"".join(entries)
    return streams


def filetime(moment: datetime) -> bytes:
    return struct.pack("<Q", int((moment - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10**7))


def message_values(subject: str, body: str) -> dict[int, tuple[int, object]]:
    sent = filetime(datetime(2025, 3, 4, 9, 30, tzinfo=UTC))
    return {
        0x001A: (PT_UNICODE, "IPM.Note"),
        0x0037: (PT_UNICODE, subject),
        0x1000: (PT_UNICODE, body),
        0x0C1A: (PT_UNICODE, "Élodie Martin"),
        0x0C1F: (PT_UNICODE, "elodie.martin@example.org"),
        0x0C1E: (PT_UNICODE, "SMTP"),
        0x0E04: (PT_UNICODE, "Paul Durand"),
        0x0039: (PT_SYSTIME, sent),
        0x0E06: (PT_SYSTIME, sent),
    }


def outlook_message(
    subject: str, body: str, files: list[tuple[str, bytes]], forwarded: tuple[str, str] | None = None
) -> bytes:
    """A .msg of one message with ``files`` attached (by value) and, if given, a forwarded message (subject,
    body) embedded as the last attachment."""
    writer = OleWriter()
    count = len(files) + (forwarded is not None)
    # The top-level header: 8 reserved bytes, next recipient and attachment ids, their counts, 8 reserved bytes.
    for name, data in mapi_streams(struct.pack("<8xIIII8x", 1, count, 1, count), message_values(subject, body)).items():
        writer.addEntry(name, data)
    for name in ("__substg1.0_00020102", "__substg1.0_00030102", "__substg1.0_00040102"):
        writer.addEntry(f"__nameid_version1.0/{name}", b"")  # the named-property map, empty
    recipient = {0x3001: (PT_UNICODE, "Paul Durand"), 0x39FE: (PT_UNICODE, "paul.durand@example.org")}
    recipient[0x0C15] = (PT_LONG, struct.pack("<I", 1))  # a To recipient
    for name, data in mapi_streams(struct.pack("<8x"), recipient).items():
        writer.addEntry(f"__recip_version1.0_#00000000/{name}", data)
    for index, (filename, content) in enumerate(files):
        values = {
            0x3707: (PT_UNICODE, filename),
            0x3701: (PT_BINARY, content),
            0x3705: (PT_LONG, struct.pack("<I", 1)),  # attached by value
        }
        for name, data in mapi_streams(struct.pack("<8x"), values).items():
            writer.addEntry(f"__attach_version1.0_#{index:08X}/{name}", data)
    if forwarded is not None:
        folder = f"__attach_version1.0_#{len(files):08X}"
        values = {0x3001: (PT_UNICODE, forwarded[0]), 0x3705: (PT_LONG, struct.pack("<I", 5))}  # an embedded message
        for name, data in mapi_streams(struct.pack("<8x"), values).items():
            writer.addEntry(f"{folder}/{name}", data)
        writer.addEntry(f"{folder}/__substg1.0_3701000D", storage=True)
        # An embedded message's header has no trailing reserved bytes.
        inner = mapi_streams(struct.pack("<8xIIII", 0, 0, 0, 0), message_values(*forwarded))
        for name, data in inner.items():
            writer.addEntry(f"{folder}/__substg1.0_3701000D/{name}", data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_outlook_message_reads_like_an_email_with_its_attachments() -> None:
    data = outlook_message(
        "Budget 2025 révisé",
        "Bonjour Paul,\r\nle budget révisé est joint ; la réunion est jeudi.\r\n",
        [("budget.csv", b"poste,montant\nchauffage,4000\n"), ("rapport.pdf", PDF), ("image001.png", LOGO)],
        forwarded=("Compte rendu de mars", "Le comité s'est réuni le 14 mars."),
    )
    document = load_bytes(data, "budget.msg", pdf_limits=IN_PROCESS)
    assert document.kind == "msg" and document.title == "Budget 2025 révisé"
    lines = document.text.splitlines()
    assert lines[0] == "Subject: Budget 2025 révisé"
    assert lines[1].startswith("From: Élodie Martin") and lines[2].startswith("To: Paul Durand")
    assert lines[3] == "Date: Tue, 04 Mar 2025 09:30:00 +0000"
    assert "le budget révisé est joint ; la réunion est jeudi." in document.text
    names = [attachment.name for attachment in document.attachments]
    assert names == ["budget.csv", "rapport.pdf", "Compte rendu de mars.msg"]
    assert document.attachments[0].data == b"poste,montant\nchauffage,4000\n"
    assert document.attachments[1].data == PDF
    assert document.warnings == ["1 attachment not ingested (small images (under 16 KiB: logos, icons)): image001.png"]
    # The forwarded message is a .msg of its own, read the same way (and its source is "budget.msg › ...msg").
    forwarded = load_bytes(document.attachments[2].data, "Compte rendu de mars.msg", pdf_limits=IN_PROCESS)
    assert forwarded.title == "Compte rendu de mars" and "Le comité s'est réuni le 14 mars." in forwarded.text


def test_a_damaged_outlook_message_fails_with_a_reason() -> None:
    data = outlook_message("Sujet", "Corps", [("a.txt", b"abc")])
    with pytest.raises(UnsupportedDocumentError, match=r"unreadable Outlook message|damaged OLE2") as caught:
        load_bytes(data[: len(data) // 2], "cut.msg", pdf_limits=IN_PROCESS)
    assert "\n" not in caught.value.detail
    with pytest.raises(UnsupportedDocumentError, match="unreadable Outlook message"):
        load_msg(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, LoadOptions())


def email_with_attachments() -> bytes:
    message = EmailMessage()
    message["Subject"] = "Contrat de maintenance"
    message["From"] = "Élodie Martin <elodie.martin@example.org>"
    message["To"] = "paul.durand@example.org"
    message["Date"] = "Tue, 04 Mar 2025 09:30:00 +0000"
    message.set_content("Bonjour,\n\nle contrat signé et l'annexe sont joints.\n")
    message.add_alternative("<p>Bonjour,</p><p>le contrat <b>signé</b> et l'annexe sont joints.</p>", subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="contrat.pdf")
    message.add_attachment("Annexe : tarifs 2025\n", filename="annexe.txt")
    message.add_attachment("Annexe bis\n", filename="annexe.txt")  # the same name again
    message.add_attachment(b"secret", maintype="application", subtype="octet-stream", filename="../../etc/passwd")
    message.add_attachment(LOGO, maintype="image", subtype="png", filename="logo.png")
    forwarded = EmailMessage()
    forwarded["Subject"] = "Devis initial"
    forwarded.set_content("Le devis initial était de 3 800 euros.\n")
    message.add_attachment(forwarded)
    return message.as_bytes()


def test_an_email_hands_back_its_attachments_with_names_and_bytes() -> None:
    document = load_bytes(email_with_attachments(), "contrat.eml", pdf_limits=IN_PROCESS)
    assert document.kind == "email" and document.text.startswith("Subject: Contrat de maintenance\n")
    assert "le contrat signé et l'annexe sont joints." in document.text
    by_name = {attachment.name: attachment.data for attachment in document.attachments}
    assert list(by_name) == [
        "contrat.pdf",
        "annexe.txt",
        "annexe (2).txt",
        "passwd",
        "forwarded-message.eml",
    ]  # never named after its subject
    assert by_name["contrat.pdf"] == PDF
    assert by_name["annexe.txt"] == b"Annexe : tarifs 2025\n"
    assert by_name["passwd"] == b"secret"  # a path in a hostile message is only a name
    forwarded = load_bytes(by_name["forwarded-message.eml"], "forwarded-message.eml", pdf_limits=IN_PROCESS)
    assert forwarded.kind == "email" and "3 800 euros" in forwarded.text
    assert document.warnings == ["1 attachment not ingested (small images (under 16 KiB: logos, icons)): logo.png"]


def test_attachments_are_capped_in_number_and_in_bytes_with_a_warning() -> None:
    message = EmailMessage()
    message["Subject"] = "Many files"
    message["From"] = "a@example.org"
    message.set_content("See the files.")
    for number in range(MAX_ATTACHMENTS + 3):
        message.add_attachment(f"file {number}\n", filename=f"file-{number:02d}.txt")
    document = load_email(message.as_bytes(), LoadOptions())
    assert len(document.attachments) == MAX_ATTACHMENTS
    assert document.warnings == [
        "3 attachments not ingested (the limit of 20 attachments per message): file-20.txt, file-21.txt, file-22.txt"
    ]
    capped = Attachments(max_bytes=2 * 1024 * 1024)
    for name in ("a.bin", "b.bin", "c.bin"):
        capped.add(name, b"x" * (900 * 1024))
    capped.add("", b"")
    assert [attachment.name for attachment in capped.kept] == ["a.bin", "b.bin"]
    assert capped.warnings() == [
        "1 attachment not ingested (the limit of 2 MiB of attachments per message): c.bin",
        "1 attachment not ingested (empty): attachment-3",
    ]


def test_a_message_without_attachments_has_none() -> None:
    document = load_bytes(outlook_message("Hello", "Just text.", []), "hello.msg", pdf_limits=IN_PROCESS)
    assert document.attachments == [] and document.warnings == []
    assert document.pages[0].text.endswith("Just text.")
