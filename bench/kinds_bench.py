"""Ingestion throughput by kind of file: the same documents written as PDF, text, HTML, e-mail, Word,
OpenDocument, RTF, PowerPoint and scanned PDF (plus a spreadsheet register of as many words), each kind
ingested by the real pipeline into a collection of its own, in one child process after a warm-up.

Pages are the composed pages (a page break, a slide, a scanned page), the same for every prose kind, so
pages per second compare across kinds; a spreadsheet has no pages, so its row is in words per second and
"pages" there means 300-word page equivalents. "Read as" is how many pages (or blocks of rows) Enclave
counted: a text file is one page whatever its length. Figures are printed and, unless ``--no-append``, appended
to docs/benchmarks/history.md.

Usage: python -m bench.kinds_bench [--pages 40] [--scan-pages 10] [--seed S] [--keep] [--no-append]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.corpus_kinds import PROSE_WRITERS, FileKind, register_rows, write_xlsx
from bench.corpus_pages import Block, PageComposer, word_count
from bench.corpus_plan import DocumentPlan
from bench.corpus_templates import KINDS
from bench.corpus_values import make_fakers
from bench.history import append_section, section_opening
from bench.log_setup import quiet_logging
from bench.machine import machine_info
from bench.paths import BENCHMARKS_FILE, REPO_ROOT
from bench.tables import console, markdown_table, print_table
from rag.settings import load_settings

PAGES_PER_DOCUMENT = 4
WORDS_PER_PAGE_EQUIVALENT = 300
WARM_UP_KIND = FileKind.TXT


@dataclass(frozen=True)
class KindCorpus:
    """One kind's folder and what was written into it."""

    kind: FileKind
    folder: Path
    files: int
    pages: int
    words: int


@dataclass(frozen=True)
class KindRow:
    kind: FileKind
    files: int
    pages: int
    words: int
    enclave_pages: int
    chunks: int
    failed: int
    seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0


def compose_documents(pages: int, seed: int) -> list[tuple[str, list[list[Block]]]]:
    """English documents of ``PAGES_PER_DOCUMENT`` pages, ``pages`` in all: (title, pages of blocks)."""
    rng = random.Random(seed)
    fake = make_fakers(seed)["en_US"]
    documents = []
    for index in range(1, max(1, pages // PAGES_PER_DOCUMENT) + 1):
        plan = DocumentPlan(index, rng.choice(KINDS), "en", "en_US", "pdf", PAGES_PER_DOCUMENT)
        composer = PageComposer(plan, fake, rng)
        documents.append((composer.title, composer.pages()))
    return documents


def write_kinds(out: Path, pages: int, scan_pages: int, seed: int) -> list[KindCorpus]:
    documents = compose_documents(pages, seed)
    corpora = []
    for kind, writer in PROSE_WRITERS.items():
        folder = out / kind.value
        folder.mkdir(parents=True)
        chosen = documents[: max(1, scan_pages // PAGES_PER_DOCUMENT)] if kind is FileKind.SCAN else documents
        for number, (title, document_pages) in enumerate(chosen, start=1):
            writer(title, document_pages, folder / f"document-{number:03d}.{kind.suffix}")
        words = sum(word_count(block.text) for _, document in chosen for blocks in document for block in blocks)
        corpora.append(KindCorpus(kind, folder, len(chosen), len(chosen) * PAGES_PER_DOCUMENT, words))
    prose_words = next(corpus.words for corpus in corpora if corpus.kind is FileKind.PDF)
    folder = out / FileKind.XLSX.value
    folder.mkdir()
    rows = register_rows(prose_words, make_fakers(seed)["en_GB"], random.Random(seed))
    write_xlsx(rows, folder / "register.xlsx")
    words = sum(len(cell.split()) for row in rows for cell in row)
    corpora.append(KindCorpus(FileKind.XLSX, folder, 1, round(words / WORDS_PER_PAGE_EQUIVALENT), words))
    return corpora


def ingest_each(folders: dict[str, Path], warm_up: Path, data_dir: Path) -> dict[str, tuple[dict[str, object], float]]:
    """In a fresh process: build the pipeline as ``enclave ingest`` does, warm it up, then ingest each folder
    into a collection of its own; each kind's report and wall-clock seconds."""
    # deferred: heavy (torch, spaCy, Presidio): loaded by the measuring child alone
    from ingest.components import build_batch_ingestion

    quiet_logging()
    batch = build_batch_ingestion(load_settings(data_dir=data_dir))
    try:
        batch.pipeline.ingest_paths([warm_up], "warm-up")
        results = {}
        for kind, folder in folders.items():
            started = time.perf_counter()
            report = batch.pipeline.ingest_paths([folder], kind)
            results[kind] = (report.to_dict(), time.perf_counter() - started)
        return results
    finally:
        batch.close()


def measure(corpora: Sequence[KindCorpus], work_dir: Path) -> list[KindRow]:
    folders = {corpus.kind.value: corpus.folder for corpus in corpora}
    warm_up = next(corpus.folder for corpus in corpora if corpus.kind is WARM_UP_KIND)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        results = pool.submit(ingest_each, folders, warm_up, work_dir / "data").result()
    rows = []
    for corpus in corpora:
        report, seconds = results[corpus.kind.value]
        files, failures = report["files"], report["failures"]
        assert isinstance(files, dict) and isinstance(failures, list)
        for failure in failures:
            console.print(f"[red]{corpus.kind}: {failure['source']}: {failure['reason']}[/]")
        rows.append(
            KindRow(
                corpus.kind,
                corpus.files,
                corpus.pages,
                corpus.words,
                int(str(report["pages"])),
                int(str(report["chunks_written"])),
                int(files["failed"]),
                seconds,
            )
        )
    return rows


COLUMNS = ("Kind", "Files", "Pages", "Read as", "Chunks", "Words", "Seconds", "Pages/s", "Words/s", "vs PDF", "Failed")


def table_lines(rows: Sequence[KindRow]) -> list[list[str]]:
    pdf = next((row for row in rows if row.kind is FileKind.PDF), None)
    lines = []
    for row in rows:
        ratio = row.words_per_second / pdf.words_per_second if pdf and pdf.words_per_second else 0.0
        pages = f"{row.pages}*" if row.kind is FileKind.XLSX else str(row.pages)
        lines.append(
            [
                row.kind.value,
                str(row.files),
                pages,
                str(row.enclave_pages),
                str(row.chunks),
                str(row.words),
                f"{row.seconds:.1f}",
                f"{row.pages_per_second:.2f}",
                f"{row.words_per_second:.0f}",
                f"{ratio:.2f}",
                str(row.failed),
            ]
        )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.kinds_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40, help="composed pages per prose kind (default: 40)")
    parser.add_argument("--scan-pages", type=int, default=8, help="pages of the scanned PDFs (OCR; default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default: 0)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and data dir")
    parser.add_argument("--no-append", action="store_true", help="do not append to docs/benchmarks/history.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[KindRow]:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(arguments)
    machine = machine_info()
    work_dir = Path(tempfile.mkdtemp(prefix="enclave-bench-kinds-"))
    try:
        with console.status("writing the same documents as every kind ..."):
            corpora = write_kinds(work_dir / "corpus", args.pages, args.scan_pages, args.seed)
        with console.status("ingesting each kind ..."):
            rows = measure(corpora, work_dir)
    finally:
        if args.keep:
            console.print(f"kept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    lines = table_lines(rows)
    print_table("Ingestion by kind of file", COLUMNS, lines, left=("Kind",))
    console.print("* xlsx: 300-word page equivalents of a register sheet")
    if not args.no_append:
        command = shlex.join(["python", "-m", "bench.kinds_bench", *arguments])
        opening = section_opening("ingestion by kind of file", machine, command, os.getloadavg())
        table = markdown_table(COLUMNS, lines, left=("Kind",))
        note = "Pages/s: composed pages (a page break, a slide, a scanned page); xlsx: 300-word page equivalents."
        append_section(BENCHMARKS_FILE, "\n".join([*opening, "", table, "", note, ""]))
        console.print(f"appended to {BENCHMARKS_FILE.relative_to(REPO_ROOT)}")
    return rows


if __name__ == "__main__":
    main()
