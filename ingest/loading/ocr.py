"""OCR: the text of page images (scans, photos), read by Tesseract in English and French, one page at a time.

Tesseract is Debian's ``tesseract-ocr`` with its ``eng`` and ``fra`` data (chosen on measured accuracy and
install simplicity: docs/benchmarks.md, OCR). It is run as a program, the page image piped to it and the text
read back from its output: no copy of a scanned page is written to disk, each page has a hard time limit (the
process is killed), and it runs on one thread: with OpenMP's default of a thread per core, a 300 dpi page took
7.5 to 21 s instead of 1.8 to 2.6 s on a busy 2-core machine (its threads spin while they wait for a core).
Without Tesseract, or without one of its languages, nothing fails here: a page that needed OCR is skipped with
the warning ``OCR_UNAVAILABLE``, and a file left with no text fails with that reason.

``OcrSession`` holds the limits of one file (how many pages OCR may read, for how long) and turns what was
skipped into the document's warnings and, when no page has text, its one-line reason.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from ingest.loading.loader import LoadOptions
from rag.types import Page

if TYPE_CHECKING:
    from PIL.Image import Image

OCR_UNAVAILABLE = (
    "OCR unavailable: install tesseract-ocr, tesseract-ocr-eng and tesseract-ocr-fra (Debian/Ubuntu) "
    "to read scanned pages"
)
NO_TEXT_FOUND = "no text found by OCR"
TESSERACT = "tesseract"
LANGUAGES = ("eng", "fra")
PAGE_TIMEOUT_SECONDS = 60.0
# Per file: about two minutes of one core at 300 dpi (docs/benchmarks.md). The worker's time limit
# (ENCLAVE_PDF_TIMEOUT_SECONDS, 60 s by default) stops OCR sooner: ``session_for``.
MAX_OCR_PAGES = 100
# Pillow refuses larger images (Image.MAX_IMAGE_PIXELS, set by image.py): an A3 page scanned at 600 dpi is 70
# million pixels; a decompression bomb (a small file of 30,000 x 30,000 pixels) is 900 million.
MAX_IMAGE_PIXELS = 100_000_000
RENDER_DPI = 300  # what scanned PDF pages are rendered at: the resolution Tesseract reads best


class OcrError(Exception):
    """Tesseract could not read one page (it timed out, or failed); the file goes on without that page."""


@cache
def _languages(command: str) -> frozenset[str]:
    try:
        listed = subprocess.run([command, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    # The first line is a heading ("List of available languages in ...").
    return frozenset(line.strip() for line in listed.stdout.splitlines()[1:] if line.strip())


def tesseract_problem() -> str | None:
    """None when Tesseract and its English and French data are installed, else ``OCR_UNAVAILABLE``."""
    command = shutil.which(TESSERACT)
    if command is None or not set(LANGUAGES) <= _languages(command):
        return OCR_UNAVAILABLE
    return None


def declared_dpi(image: Image) -> int | None:
    """The resolution an image declares, when it is one a scan has: 72 dpi is what cameras and screenshots
    write whatever the truth, and Tesseract estimates the resolution better from the height of the letters."""
    value = image.info.get("dpi")
    try:
        dpi = round(float(value[0])) if value else 0
    except (TypeError, ValueError, IndexError):
        return None
    return dpi if 100 <= dpi <= 1200 else None


def read_image(image: Image, dpi: int | None = None, timeout: float = PAGE_TIMEOUT_SECONDS) -> str:
    """The text Tesseract reads on one page image (any Pillow mode), at ``dpi`` or the one the image declares;
    ``OcrError`` on a timeout or a failure."""
    command = shutil.which(TESSERACT)
    if command is None:
        raise OcrError(OCR_UNAVAILABLE)
    dpi = dpi or declared_dpi(image)
    grey = image if image.mode == "L" else image.convert("L")
    buffer = io.BytesIO()
    grey.save(buffer, format="PPM")  # PGM: uncompressed, so encoding costs nothing next to the OCR
    arguments = [command, "stdin", "stdout", "-l", "+".join(LANGUAGES), "--psm", "3"]
    if dpi:
        arguments += ["--dpi", str(int(dpi))]
    try:
        done = subprocess.run(
            arguments,
            input=buffer.getvalue(),
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"OCR took longer than the limit of {timeout:g} s") from exc
    except OSError as exc:
        raise OcrError(f"cannot run Tesseract: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise OcrError(f"Tesseract failed: {last[0][:200]}")
    return done.stdout.decode("utf-8", "replace").replace("\f", "").strip()


def page_ranges(numbers: Sequence[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    parts: list[str] = []
    ordered = sorted(numbers)
    start = previous = ordered[0] if ordered else 0
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts) if ordered else ""


def _pages(numbers: Sequence[int]) -> str:
    return f"page {numbers[0]}" if len(numbers) == 1 else f"pages {page_ranges(numbers)}"


def session_for(options: LoadOptions, location: Callable[[int], str] | None = None) -> OcrSession:
    """The OCR session of one file loaded with ``options``: at most ``MAX_OCR_PAGES`` pages (or the file's page
    limit, if lower), and four fifths of the worker's time limit, leaving the rest to parse and to send back."""
    session = OcrSession(
        max_pages=min(MAX_OCR_PAGES, options.max_pages), seconds=0.8 * options.pdf_limits.timeout_seconds
    )
    if location is not None:
        session.location = location
    return session


@dataclass
class OcrSession:
    """OCR of one file's page images within its limits: at most ``max_pages`` pages, until ``seconds`` have
    passed (the isolated worker's time limit, less a margin, so that what was read is kept rather than the
    worker killed), each page within ``page_timeout`` seconds."""

    max_pages: int = MAX_OCR_PAGES
    seconds: float = float("inf")
    page_timeout: float = PAGE_TIMEOUT_SECONDS
    location: Callable[[int], str] = lambda number: f"page {number} (OCR)"
    problem: str | None = field(default_factory=tesseract_problem)
    read: int = field(default=0, init=False)  # pages handed to Tesseract
    _started: float = field(default_factory=time.monotonic, init=False)
    _skipped: dict[str, list[int]] = field(default_factory=dict, init=False)  # reason -> page numbers

    def page(self, number: int, image: Callable[[], Image], dpi: int | None = None) -> Page | None:
        """Page ``number`` read from ``image()`` (called only when the page is read), or None when it is skipped
        (no Tesseract, a limit reached, OCR failed or found no text)."""
        remaining = self.seconds - (time.monotonic() - self._started)
        text = ""
        if self.problem:
            reason = self.problem
        elif self.read >= self.max_pages:
            reason = f"not read: the limit of {self.max_pages} OCR pages per file"
        elif remaining <= 1.0:
            reason = f"not read: OCR stopped at the time limit of {self.seconds:g} s per file"
        else:
            self.read += 1
            try:
                text = read_image(image(), dpi, min(self.page_timeout, remaining))
                reason = NO_TEXT_FOUND
            except OcrError as exc:
                reason = str(exc)
        if not text:
            self.skip(reason, [number])
            return None
        return Page(number=number, text=text, location=self.location(number), ocr=True)

    def skip(self, reason: str, numbers: Sequence[int]) -> None:
        """Record pages not read for a reason found outside OCR (the file's page limit, an unreadable frame)."""
        self._skipped.setdefault(reason, []).extend(numbers)

    def warnings(self) -> list[str]:
        """One line per reason pages were skipped, naming the pages; OCR_UNAVAILABLE exactly as it is."""
        lines = []
        for reason, numbers in self._skipped.items():
            lines.append(reason if reason == OCR_UNAVAILABLE else f"{_pages(numbers)}: {reason}")
        return lines

    def failure(self) -> str:
        """Why no page has text: OCR_UNAVAILABLE, NO_TEXT_FOUND, or the first other reason pages were skipped."""
        reasons = list(self._skipped)
        for reason in (OCR_UNAVAILABLE, NO_TEXT_FOUND):
            if reason in reasons:
                return reason
        return f"{_pages(self._skipped[reasons[0]])}: {reasons[0]}" if reasons else NO_TEXT_FOUND
