"""Run the ingestion benchmark: sample_docs/ and each generated corpus, one row each, in temporary folders."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench.corpus import CorpusStats, generate_corpus
from bench.ingest_measure import measure_in_child, measure_ingest, measure_naive_ingest
from bench.ingest_rows import BenchRow, row_from_measurement
from bench.paths import SAMPLE_DOCS
from bench.tables import console


@dataclass(frozen=True)
class Executor:
    """An executor to measure: its name and its workers (None: the default, one per core)."""

    name: str | None = None
    workers: int | None = None

    @property
    def overrides(self) -> dict[str, object]:
        settings: dict[str, object] = {}
        if self.name is not None:
            settings["ingest_executor"] = self.name
        if self.workers is not None:
            settings["ingest_workers"] = self.workers
        return settings

    @property
    def label(self) -> str:
        if self.name is None and self.workers is None:
            return ""
        workers = f", {self.workers} workers" if self.workers is not None else ""
        return f" ({self.name or 'local'}{workers})"


def bench_folder(
    corpus: str,
    folder: Path,
    work_dir: Path,
    generated: CorpusStats | None = None,
    generation_seconds: float = 0.0,
    executor: Executor = Executor(),
) -> BenchRow:
    corpus = f"{corpus}{executor.label}"
    data_dir = work_dir / f"data{executor.label.replace(' ', '')}"
    with console.status(f"[bold]{corpus}[/]: ingesting {folder} ..."):
        measurement, peak_load = measure_in_child(folder, data_dir, partial(measure_ingest, **executor.overrides))
    return row_from_measurement(corpus, measurement, peak_load, generated, generation_seconds)


def bench_generated(
    pages: int, seed: int, work_dir: Path, naive: bool = False, executors: Sequence[Executor] = (Executor(),)
) -> list[BenchRow]:
    """Enclave's rows for a generated corpus, one per executor, and with ``naive`` the naive pipeline's on the
    same files."""
    corpus_dir = work_dir / "corpus"
    started = time.perf_counter()
    with console.status(f"generating a corpus of {pages} pages ..."):
        stats = generate_corpus(corpus_dir, pages, seed)
    generation_seconds = time.perf_counter() - started
    console.print(f"generated {stats.summary()} in {generation_seconds:.1f} s")
    rows = [
        bench_folder(f"{pages} pages", corpus_dir, work_dir, stats, generation_seconds, executor)
        for executor in executors
    ]
    if naive:
        with console.status(f"[bold]{pages} pages[/]: the naive pipeline ..."):
            measurement, peak_load = measure_in_child(corpus_dir, work_dir / "naive-data", measure_naive_ingest)
        rows.append(row_from_measurement(f"{pages} pages (naive)", measurement, peak_load, None, 0.0))
    return rows


def make_work_dir(label: str, keep: bool) -> Path:
    work_dir = Path(tempfile.mkdtemp(prefix=f"enclave-bench-{label}-"))
    if keep:
        console.print(f"keeping {work_dir}")
    return work_dir


def run_all(
    sizes: Sequence[int], seed: int, keep: bool, naive: bool = False, executors: Sequence[Executor] = (Executor(),)
) -> list[BenchRow]:
    rows: list[BenchRow] = []
    for label, pages in [("sample_docs", None), *((f"{size}p", size) for size in sizes)]:
        work_dir = make_work_dir(label, keep)
        try:
            if pages is None:
                new_rows = [bench_folder("sample_docs/", SAMPLE_DOCS, work_dir, executor=executors[0])]
            else:
                new_rows = bench_generated(pages, seed, work_dir, naive, executors)
        finally:
            if not keep:
                shutil.rmtree(work_dir, ignore_errors=True)
        for row in new_rows:
            console.print(f"{row.corpus}: {row.pages} pages in {row.ingest_seconds:.1f} s")
        rows.extend(new_rows)
    return rows
