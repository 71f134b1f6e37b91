"""Ingestion benchmark: the real Enclave pipeline on the sample documents and on generated corpora.

For each size, a corpus is generated into a temporary folder and ingested into a fresh temporary
data dir, exactly as ``enclave ingest`` builds the pipeline. Each ingestion runs in a child process
of its own, so that its peak RSS and model loading are measured alone. Figures are printed and,
unless ``--no-append``, appended to docs/benchmarks/history.md.

Usage: python -m bench.ingest_bench --pages 500 [--pages 1000 ...] [--executor local|dask ...] [--workers N ...]
       [--naive] [--seed S] [--keep] [--no-append]

With several ``--executor`` or ``--workers``, every combination ingests the same corpus in the same run, one
after the other (``--executor local --executor dask --workers 1 --workers 2``: four rows).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence

from bench.history import append_section
from bench.ingest_report import BUSY_LOAD_AVERAGE, markdown_section, naive_ratios, plot_throughput, print_tables
from bench.ingest_rows import BenchRow
from bench.ingest_run import Executor, run_all
from bench.machine import format_load, machine_info
from bench.paths import BENCHMARKS_FILE, PLOTS_DIR, REPO_ROOT
from bench.plots import publish_plot
from bench.tables import console
from rag.types import IngestExecutor


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=int, action="append", help="size of a generated corpus; repeat for several (default: 500)"
    )
    parser.add_argument(
        "--executor",
        choices=[kind.value for kind in IngestExecutor],
        action="append",
        help="what prepares the files; repeat to compare (default: the settings', local)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        help="workers of the executor; repeat to compare (default: one per core)",
    )
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default: 0)")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora and data dirs")
    parser.add_argument(
        "--naive", action="store_true", help="also run the naive pipeline on each generated corpus, for the ratio"
    )
    parser.add_argument("--no-append", action="store_true", help="do not append to docs/benchmarks/history.md")
    parser.add_argument("--update-docs", action="store_true", help="also copy the plot into docs/benchmarks/")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[BenchRow]:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(arguments)
    command = shlex.join(["python", "-m", "bench.ingest_bench", *arguments])
    machine = machine_info()
    if machine.load_before[0] > BUSY_LOAD_AVERAGE:
        console.print(f"[yellow]load average {format_load(machine.load_before)}: other work is running[/]")
    executors = [Executor(name, workers) for name in args.executor or [None] for workers in args.workers or [None]]
    rows = run_all(args.pages or [500], args.seed, args.keep, args.naive, executors)
    print_tables(rows)
    for line in naive_ratios(rows):
        console.print(line)
    plot = PLOTS_DIR / "ingest-throughput.png"
    if plot_throughput(rows, plot):
        publish_plot(plot, args.update_docs)
    if not args.no_append:
        section = markdown_section(machine, command, rows, args.seed, os.getloadavg(), None)
        append_section(BENCHMARKS_FILE, section)
        console.print(f"appended to {BENCHMARKS_FILE.relative_to(REPO_ROOT)}")
    return rows


if __name__ == "__main__":
    main()
