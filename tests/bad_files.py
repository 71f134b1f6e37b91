"""A generated corpus of the files real shares hold and parsers choke on, each with the reason expected.

Everything is small on disk: "thousands of pages" share one page object, the decompression bomb is
~1 MB that inflates to 600 MB, the deep nesting is 100 KB of brackets.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from ingest.outcomes import FileOutcome

from .conftest import MEMO
from .test_pdf_isolation import _bomb_pdf, _many_pages_pdf, _pdf

# Limits the job runs with, so that the slow cases hit them in seconds.
PDF_TIMEOUT_SECONDS = 6.0
PDF_MEMORY_MB = 400
# The pipeline reads files a group at a time: with groups of 4, the "zz-" files sort into a group read
# after the first group's outcomes, when ``during_job`` has already removed or rewritten them.
GROUP_DOCUMENTS = 4


@dataclass(frozen=True)
class Expected:
    """``reason`` is a regular expression the one-line failure reason matches; None: ingested."""

    reason: str | None
    what: str


def text_pdf(text: str, *, user_password: str | None = None) -> bytes:
    pdf = FPDF()
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-" + user_password, user_password=user_password)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def _nested_pdf(depth: int) -> bytes:
    """A catalog holding an array nested ``depth`` levels deep: recursion in a naive parser."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * depth + b"]" * depth + b" >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
        ]
    )


def _corrupted(pdf: bytes) -> bytes:
    """The first content stream's bytes scrambled, the file's length and structure kept."""
    start = pdf.index(b"stream\n") + len(b"stream\n")
    return pdf[:start] + bytes(b ^ 0x5A for b in pdf[start : start + 200]) + pdf[start + 200 :]


# What CI runs (tests/test_bad_files.py): one file of each family of failure, and the good files and
# mid-job changes beside them, without the cases that cost seconds each (thousands of pages, a parse that
# runs into the time limit, deep nesting, very long lines), which `make test-all` adds.
CI_KINDS = frozenset(
    {
        "00-good.txt",
        "good.pdf",
        "latin1.txt",
        "empty.txt",
        "random.txt",
        "random.pdf",
        "truncated.pdf",
        "encrypted.pdf",
        "bomb.pdf",
        "unknown-encoding.txt",
        "zz-vanishing.txt",
        "zz-changing.txt",
    }
)


def write_corpus(folder: Path, only: frozenset[str] | None = None) -> dict[str, Expected]:
    """Write every kind of bad file (and a few good ones beside them) into ``folder``; ``only`` those named."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    good_pdf = text_pdf("Quarterly report. Revenue grew by four percent; the Lyon office opens in May.")
    files: dict[str, tuple[bytes, Expected]] = {
        "00-good.txt": (MEMO.encode(), Expected(None, "a plain memo")),
        "good.pdf": (good_pdf, Expected(None, "a one-page PDF")),
        "latin1.txt": (
            "Note de service : la cantine ouvre à 11h30, fermée le vendredi après-midi.\n".encode("latin-1"),
            Expected(None, "text in Latin-1"),
        ),
        "empty.txt": (b"", Expected("^empty file$", "empty file")),
        "blank.md": (b" \n\t\n", Expected("^empty file$", "only whitespace")),
        "random.txt": (
            rng.randbytes(4096),
            Expected("^unsupported type: binary content of an unknown kind$", "binary named .txt"),
        ),
        "random.pdf": (rng.randbytes(4096), Expected("not a PDF", "binary named .pdf")),
        "truncated.pdf": (good_pdf[: len(good_pdf) // 3], Expected(r"^unreadable PDF \(damaged", "PDF cut at a third")),
        "corrupted.pdf": (_corrupted(good_pdf), Expected(r"^unreadable PDF \(damaged", "PDF with a scrambled stream")),
        "encrypted.pdf": (
            text_pdf("Salaries for 2025.", user_password="s3cret"),
            Expected(r"^encrypted PDF \(a password is required\)$", "PDF with a user password"),
        ),
        "pages-6000.pdf": (_many_pages_pdf(6000), Expected("^PDF has 6000 pages, more than the limit", "6000 pages")),
        "pages-4500.pdf": (_many_pages_pdf(4500), Expected("^PDF parsing took longer than the limit", "4500 pages")),
        "bomb.pdf": (
            _bomb_pdf(600),
            Expected(r"^the PDF goes beyond the parser's limits \(a stream that inflates past", "600 MB inflated"),
        ),
        "nested.pdf": (_nested_pdf(50_000), Expected(r"^unreadable PDF \(damaged", "arrays nested 50 000 deep")),
        "unknown-encoding.txt": (bytes(range(128, 256)) * 20, Expected("^text in an unknown encoding$", "no codec")),
        "long-line.txt": (
            (" ".join(f"clause{i} applies to the rota" for i in range(2_000)) + ".").encode(),
            Expected(None, "one 60 000-character line"),
        ),
        "one-word.txt": (b"x" * 30_000, Expected(None, "one 30 000-character word")),
        "zz-vanishing.txt": (
            b"This file is deleted after the job has listed it.",
            Expected("^cannot read file: ", "gone"),
        ),
        "zz-changing.txt": (b"Version one of the rota.", Expected(None, "rewritten after the job has listed it")),
    }
    if only is not None:
        files = {name: value for name, value in files.items() if name in only}
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    expected = {name: expectation for name, (_, expectation) in files.items()}
    if os.geteuid() != 0:  # root reads any file whatever its mode
        locked = folder / "unreadable.txt"
        locked.write_bytes(b"Nobody may read this.")
        locked.chmod(0)
        expected["unreadable.txt"] = Expected("^cannot read file: Permission denied$", "mode 000")
    return expected


CHANGED_TEXT = b"Version two of the rota: the night shift starts at 22:00."


def during_job(folder: Path) -> Callable[[FileOutcome], None]:
    """An ``on_file`` hook: after the first file, one listed file vanishes and another is rewritten."""

    def hook(outcome: FileOutcome) -> None:
        if outcome.source == "00-good.txt":
            (folder / "zz-vanishing.txt").unlink()
            (folder / "zz-changing.txt").write_bytes(CHANGED_TEXT)

    return hook
