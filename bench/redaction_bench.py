"""Redaction benchmark: the per-document Presidio loop against Enclave's batched redaction, same process.

Both arms run the very same redactor (same recognizers, same settings). "per-document" calls
``redact_pages`` once per document with the NLP step unbatched, as a loop over Presidio's analyzer would;
"batched" hands the whole set to ``redact_documents``, which runs spaCy over every page in batches
(``nlp.pipe``). Rounds alternate (A B A B ...) so that other load on the machine hits both arms alike;
the ratio of their medians is the figure. Every round checks that both outputs are identical.

Usage: python -m bench.redaction_bench [--pages 300] [--dataset FILE] [--rounds 3] [--no-append]
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.corpus import generate_corpus
from bench.ingest_bench import BENCHMARKS_FILE, append_section, format_load, machine_info, markdown_table
from ingest.components import build_redactor
from ingest.loaders import load_bytes
from rag.settings import load_settings

DEFAULT_DATASET = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pii" / "synth_dataset_v2.json"
console = Console()


@dataclass(frozen=True)
class ArmResult:
    corpus: str
    documents: int
    pages: int
    per_document_seconds: float
    batched_seconds: float
    identical: bool

    @property
    def ratio(self) -> float:
        return self.per_document_seconds / self.batched_seconds


def generated_documents(pages: int) -> list[list[str]]:
    """The text pages of a generated business corpus (PDFs, Markdown, text) of about ``pages`` pages."""
    with tempfile.TemporaryDirectory(prefix="enclave-redaction-bench-") as tmp:
        folder = Path(tmp) / "corpus"
        generate_corpus(folder, pages, seed=7)
        documents = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            loaded = load_bytes(path.read_bytes(), path.name)
            documents.append([page.text for page in loaded.pages])
    return documents


def dataset_documents(path: Path) -> list[list[str]]:
    """Each record of a presidio-research JSON data set as a one-page document."""
    records: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
    return [[record["full_text"]] for record in records]


def per_document(redactor: Any, documents: Sequence[Sequence[str]]) -> list[list[Any]]:
    """The loop a user writes: one document at a time, spaCy called page by page inside Presidio."""
    results = []
    for pages in documents:
        language = redactor.language_of("\n".join(pages))
        findings = [redactor._analyze(page, language, None) for page in pages]  # nlp(text) per page
        results.append(redactor._redact_analyzed(pages, language, findings))
    return results


def measure(redactor: Any, name: str, documents: list[list[str]], rounds: int) -> ArmResult:
    loop_times, batch_times, identical = [], [], True
    for _ in range(rounds):
        started = time.perf_counter()
        expected = per_document(redactor, documents)
        loop_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        got = redactor.redact_documents(documents)
        batch_times.append(time.perf_counter() - started)
        identical &= [[(r.text, r.entities) for r in doc] for doc in expected] == [
            [(r.text, r.entities) for r in doc] for doc in got
        ]
    return ArmResult(
        corpus=name,
        documents=len(documents),
        pages=sum(len(pages) for pages in documents),
        per_document_seconds=statistics.median(loop_times),
        batched_seconds=statistics.median(batch_times),
        identical=identical,
    )


def cells(result: ArmResult) -> list[str]:
    return [
        result.corpus,
        f"{result.documents:,}",
        f"{result.pages:,}",
        f"{result.pages / result.per_document_seconds:.1f}",
        f"{result.pages / result.batched_seconds:.1f}",
        f"{result.ratio:.2f}",
        "yes" if result.identical else "NO",
    ]


COLUMNS = ("Corpus", "Documents", "Pages", "Per-document (pages/s)", "Batched (pages/s)", "Ratio", "Same output")


def main(argv: Sequence[str] | None = None) -> list[ArmResult]:
    parser = argparse.ArgumentParser(prog="python -m bench.redaction_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="pages of generated corpus")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="presidio-research JSON data set")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per corpus")
    parser.add_argument("--no-append", action="store_true", help="do not append to docs/benchmarks.md")
    args = parser.parse_args(argv)

    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="enclave-redaction-bench-data-") as tmp:
        redactor = build_redactor(load_settings(data_dir=Path(tmp)))
    redactor.redact("Warm-up: Harriet Lindqvist, harriet@example.com, https://example.org, +44 20 7946 0958.")
    corpora = [(f"generated, {args.pages} pages", generated_documents(args.pages))]
    if args.dataset.is_file():
        corpora.append((args.dataset.name, dataset_documents(args.dataset)))
    results = []
    for name, documents in corpora:
        console.print(f"measuring {name}: {len(documents)} documents, {args.rounds} alternating rounds")
        results.append(measure(redactor, name, documents, args.rounds))

    table = Table(title="Redaction throughput")
    for column in COLUMNS:
        table.add_column(column)
    for result in results:
        table.add_row(*cells(result))
    console.print(table)
    if not args.no_append:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = "python -m bench.redaction_bench " + shlex.join(sys.argv[1:] if argv is None else list(argv))
        section = "\n".join(
            [
                f"## {now}: redaction",
                "",
                f"- Machine: {machine.cpu_model}, {machine.cpu_count} CPUs, {machine.ram_gib:.1f} GiB RAM",
                f"- Code: git {machine.git_revision}",
                f"- Command: `{command.strip()}`",
                f"- Load average (1/5/15 min) before: {format_load(machine.load_before)}",
                "- Same redactor in both arms; per-document: `redact_pages`-style loop with spaCy called per page "
                "inside Presidio's analyzer; batched: `redact_documents` over the whole set (spaCy `nlp.pipe`). "
                f"Median of {args.rounds} alternating rounds; every round compared both outputs.",
                "",
                markdown_table(COLUMNS, [cells(result) for result in results]),
                "",
            ]
        )
        append_section(BENCHMARKS_FILE, section)
        console.print(f"appended to {BENCHMARKS_FILE.relative_to(BENCHMARKS_FILE.parent.parent)}")
    return results


if __name__ == "__main__":
    main()
