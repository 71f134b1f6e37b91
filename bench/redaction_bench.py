"""Redaction benchmark: the per-document Presidio loop against Enclave's batched and pooled redaction.

All arms run the same recognizers. "stock loop" is the loop a user writes over Presidio's analyzer: one
page of one document at a time, spaCy called inside the analyzer with every component of its pipelines,
thinc's stock matrix products (BLIS), and Presidio's own phone recognizer; it is the reference of the
ratios. "per-document" is the same loop with Enclave's spaCy settings (the English parser left out, numpy's
OpenBLAS for matrix products), to show
what those settings give alone. "batched" hands the whole set to ``redact_documents`` in one process (spaCy
over every page in batches, ``nlp.pipe``, and the phone matcher that skips short digit runs); "pooled" does
the same with the set shared over ``--processes`` processes (``PooledRedactor``). Rounds alternate
(A B C D A B C D ...) so that other load on the machine hits every arm alike; ratios are of medians. Every
round checks that all outputs are identical.

Usage: python -m bench.redaction_bench [--pages 300] [--dataset FILE] [--rounds 3] [--processes 2] [--no-append]
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.corpus import generate_corpus
from bench.history import append_section
from bench.machine import format_load, machine_info
from bench.paths import BENCHMARKS_FILE, REPO_ROOT
from bench.tables import console, markdown_table, print_table
from ingest.components import build_redactor
from ingest.loading import load_bytes
from ingest.redaction.pool import PooledRedactor
from rag.settings import load_settings

DEFAULT_DATASET = REPO_ROOT.parent / "shared" / "data" / "pii" / "synth_dataset_v2.json"


@dataclass(frozen=True)
class ArmResult:
    corpus: str
    documents: int
    pages: int
    stock_seconds: float
    per_document_seconds: float
    batched_seconds: float
    pooled_seconds: float
    identical: bool

    @property
    def ratio(self) -> float:
        return self.stock_seconds / self.batched_seconds

    @property
    def pooled_ratio(self) -> float:
        return self.stock_seconds / self.pooled_seconds

    @property
    def pooled_over_per_document(self) -> float:
        return self.per_document_seconds / self.pooled_seconds


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


def _timed(run: Callable[[], list[list[Any]]]) -> tuple[float, list[list[Any]]]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def _comparable(result: list[list[Any]]) -> list[list[Any]]:
    return [[(r.text, r.entities) for r in doc] for doc in result]


def measure(
    stock: Any, redactor: Any, pooled: PooledRedactor, name: str, documents: list[list[str]], rounds: int
) -> ArmResult:
    stock_times, loop_times, batch_times, pooled_times, identical = [], [], [], [], True
    for _ in range(rounds):
        seconds, expected = _timed(lambda: per_document(stock, documents))
        stock_times.append(seconds)
        seconds, looped = _timed(lambda: per_document(redactor, documents))
        loop_times.append(seconds)
        seconds, batched = _timed(lambda: redactor.redact_documents(documents))
        batch_times.append(seconds)
        seconds, shared = _timed(lambda: pooled.redact_documents(documents))
        pooled_times.append(seconds)
        identical &= _comparable(expected) == _comparable(looped) == _comparable(batched) == _comparable(shared)
    return ArmResult(
        corpus=name,
        documents=len(documents),
        pages=sum(len(pages) for pages in documents),
        stock_seconds=statistics.median(stock_times),
        per_document_seconds=statistics.median(loop_times),
        batched_seconds=statistics.median(batch_times),
        pooled_seconds=statistics.median(pooled_times),
        identical=identical,
    )


def cells(result: ArmResult) -> list[str]:
    return [
        result.corpus,
        f"{result.documents:,}",
        f"{result.pages:,}",
        f"{result.pages / result.stock_seconds:.1f}",
        f"{result.pages / result.per_document_seconds:.1f}",
        f"{result.pages / result.batched_seconds:.1f}",
        f"{result.pages / result.pooled_seconds:.1f}",
        f"{result.ratio:.2f}",
        f"{result.pooled_ratio:.2f}",
        f"{result.pooled_over_per_document:.2f}",
        "yes" if result.identical else "NO",
    ]


COLUMNS = (
    "Corpus",
    "Documents",
    "Pages",
    "Stock loop (pages/s)",
    "Per-document (pages/s)",
    "Batched (pages/s)",
    "Pooled (pages/s)",
    "Batched / stock",
    "Pooled / stock",
    "Pooled / per-document",
    "Same output",
)


def main(argv: Sequence[str] | None = None) -> list[ArmResult]:
    parser = argparse.ArgumentParser(prog="python -m bench.redaction_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="pages of generated corpus")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="presidio-research JSON data set")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per corpus")
    parser.add_argument("--processes", type=int, default=2, help="processes of the pooled arm (itself included)")
    parser.add_argument("--no-append", action="store_true", help="do not append to docs/benchmarks/history.md")
    args = parser.parse_args(argv)

    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="enclave-redaction-bench-data-") as tmp:
        settings = load_settings(data_dir=Path(tmp))
        redactor = build_redactor(settings)
        stock = build_redactor(settings.model_copy(update={"spacy_exclude": {}, "spacy_matrix_library": "blis"}))
    pooled = PooledRedactor(redactor, settings, args.processes)
    warm_up = "Warm-up: Harriet Lindqvist, harriet@example.com, https://example.org, +44 20 7946 0958."
    pooled.redact_documents([[warm_up]] * (2 * args.processes))  # every worker has loaded its models
    corpora = [(f"generated, {args.pages} pages", generated_documents(args.pages))]
    if args.dataset.is_file():
        corpora.append((args.dataset.name, dataset_documents(args.dataset)))
    results = []
    for name, documents in corpora:
        console.print(f"measuring {name}: {len(documents)} documents, {args.rounds} alternating rounds")
        results.append(measure(stock, redactor, pooled, name, documents, args.rounds))
    pooled.close()

    print_table("Redaction throughput", COLUMNS, [cells(result) for result in results])
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
                "- Same recognizers in every arm. Stock loop: the loop a user writes, one page at a time through "
                "Presidio's analyzer, spaCy with every component, thinc's stock BLIS matrix products and spaCy's "
                "Matcher for every attribute rule, Presidio's own phone recognizer; the reference of the ratios. "
                "Per-document: the same loop with Enclave's spaCy settings (English parser left out, numpy's "
                "OpenBLAS, attribute rules from tables). Batched: `redact_documents` over the whole set in one "
                "process (spaCy `nlp.pipe`, the phone matcher that skips digit runs of fewer than 7 digits). "
                f"Pooled: the same shared over {args.processes} processes (`PooledRedactor`). Median of "
                f"{args.rounds} alternating rounds; every round compared the outputs of all four arms.",
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
