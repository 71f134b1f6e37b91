"""The ingestion benchmark's report: its tables on the terminal, its history section and its throughput plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.history import section_opening
from bench.ingest_rows import STAGES, BenchRow, rate
from bench.machine import MachineInfo
from bench.plots import saved_figure
from bench.tables import console, markdown_table, print_table

BUSY_LOAD_AVERAGE = 1.5
# The ingestion alone keeps up to two cores busy (torch uses every core while embedding), so only a load
# above this, sampled while it runs, shows other work on this 2-core machine.
BUSY_LOAD_DURING = 3.0
SUMMARY_COLUMNS = (
    "Corpus",
    "Files",
    "Pages",
    "Chunks",
    "Failed",
    "Model load (s)",
    "Ingest (s)",
    "Pages/s",
    "Peak RSS (MiB)",
    "Peak load avg",
)
STAGE_COLUMNS = ("Corpus", *STAGES, "Slowest stage", "End to end / slowest")


def summary_cells(row: BenchRow) -> list[str]:
    return [
        row.corpus,
        str(row.files),
        str(row.pages),
        str(row.chunks),
        str(row.failed),
        f"{row.model_load_seconds:.1f}",
        f"{row.ingest_seconds:.1f}",
        f"{row.pages_per_second:.2f}",
        f"{row.peak_rss_mib:.0f}",
        f"{row.peak_load:.1f}",
    ]


def stage_cells(row: BenchRow) -> list[str]:
    stages = [f"{row.stage_seconds[s]:.1f} s ({rate(row.pages, row.stage_seconds[s]):.1f} p/s)" for s in STAGES]
    dominant = row.dominant_stage
    return [
        row.corpus,
        *stages,
        f"{dominant} ({row.stage_share(dominant):.0%})",
        f"{row.slowest_stage_ratio:.2f}",
    ]


def print_tables(rows: Sequence[BenchRow]) -> None:
    print_table("Ingestion", SUMMARY_COLUMNS, [summary_cells(row) for row in rows], left=("Corpus",))
    print_table("Seconds per stage (pages/s)", STAGE_COLUMNS, [stage_cells(row) for row in rows], left=("Corpus",))
    for row in rows:
        for failure in row.failures:
            console.print(f"[red]failed[/] {row.corpus}: {failure}")


def naive_ratios(rows: Sequence[BenchRow]) -> list[str]:
    """One line per corpus measured both ways: Enclave's pages/s over the naive pipeline's."""
    lines = []
    by_corpus = {row.corpus: row for row in rows}
    for row in rows:
        naive = by_corpus.get(f"{row.corpus} (naive)")
        if naive is not None and naive.pages_per_second:
            lines.append(
                f"- {row.corpus}: Enclave {row.pages_per_second:.2f} pages/s against the naive pipeline's "
                f"{naive.pages_per_second:.2f}: **{row.pages_per_second / naive.pages_per_second:.2f}x**"
            )
    return lines


def plot_throughput(rows: Sequence[BenchRow], path: Path) -> bool:
    """Pages/s against corpus size, Enclave and (when measured) the naive pipeline; False with one size."""
    enclave = [(row.pages, row.pages_per_second) for row in rows if row.generated is not None]
    naive = [(row.pages, row.pages_per_second) for row in rows if row.corpus.endswith("(naive)")]
    if len(enclave) < 2 and not naive:
        return False
    with saved_figure(path, "Ingestion throughput against corpus size") as axis:
        for label, points in (("Enclave", enclave), ("naive pipeline", naive)):
            if points:
                points.sort()
                axis.plot([p for p, _ in points], [r for _, r in points], marker="o", label=label)
        axis.set_xscale("log")
        axis.set_xlabel("corpus size (pages)")
        axis.set_ylabel("pages per second")
        axis.set_ylim(bottom=0)
    return True


def settings_line(rows: Sequence[BenchRow]) -> str:
    settings = rows[0].settings if rows else {}
    return ", ".join(f"`{name}` {value}" for name, value in settings.items()) or "unknown"


def concurrency_note(machine: MachineInfo, rows: Sequence[BenchRow]) -> str | None:
    peak = max((row.peak_load for row in rows), default=0.0)
    if machine.load_before[0] <= BUSY_LOAD_AVERAGE and peak <= BUSY_LOAD_DURING:
        return None
    figures = "so these figures are pessimistic" if peak > BUSY_LOAD_DURING else "though it stayed low during the runs"
    return (
        f"other work ran concurrently (1-minute load average {machine.load_before[0]:.2f} before the start, "
        f"up to {peak:.2f} during the runs, when this benchmark alone accounts for at most about 2), {figures}."
    )


def corpus_notes(rows: Sequence[BenchRow], seed: int) -> list[str]:
    notes = []
    for row in rows:
        if row.generated is not None:
            notes.append(
                f"- {row.corpus}: `bench.corpus` seed {seed}, {row.generated.summary()}; "
                f"generated in {row.generation_seconds:.1f} s (not counted)."
            )
            if row.generated.pages != row.pages:
                notes.append(f"- {row.corpus}: the pipeline reported {row.pages} of the {row.generated.pages} pages.")
    return notes


def markdown_section(
    machine: MachineInfo,
    command: str,
    rows: Sequence[BenchRow],
    seed: int,
    load_after: tuple[float, float, float],
    plot: str | None = None,
) -> str:
    lines = section_opening(
        "ingestion", machine, command, load_after, settings=settings_line(rows), cpu_count_note=True
    )
    concurrency = concurrency_note(machine, rows)
    if concurrency:
        lines.append(f"- Note: {concurrency}")
    lines += corpus_notes(rows, seed)
    lines += [
        "- Each corpus is ingested by a fresh process into an empty data dir; peak RSS is that process's "
        "`ru_maxrss`, model loading included, plus its workers' (the largest child's peak times their "
        "number, an upper bound). *Model load* is starting the executor's workers until each has built its "
        "redactor (spaCy, Presidio) and embedder, and opening the store; pages/s excludes it. *Peak load avg* "
        "is the highest 1-minute load average sampled while that corpus was ingested.",
        "",
        markdown_table(SUMMARY_COLUMNS, [summary_cells(row) for row in rows]),
        "",
        "Seconds each stage was busy, summed over the processes it ran in, with pages/s over those seconds in "
        "brackets. The executor's workers (`ingest_workers` of them, each embedding on `embed_threads` threads) "
        "load, redact, chunk and embed batches of files side by side while the ingesting process reads the files "
        "and stores what comes back (*load* counts both the reading and the parsing). *End to end / slowest* is "
        "the ingest time over the slowest stage's busy seconds.",
        "",
        markdown_table(STAGE_COLUMNS, [stage_cells(row) for row in rows]),
    ]
    ratios = naive_ratios(rows)
    if ratios:
        lines += [
            "",
            "The naive pipeline (`bench/naive_pipeline.py`: pypdf, Presidio's analyzer and anonymizer with their "
            "defaults once per document, 800-character chunks, `encode` and Chroma `add` per document) on the same "
            "files in the same run:",
            "",
            *ratios,
        ]
    if plot:
        lines += ["", f"![Ingestion throughput against corpus size]({plot})"]
    failures = [f"- {row.corpus}: {failure}" for row in rows for failure in row.failures]
    if failures:
        lines += ["", "Failed files:", "", *failures]
    return "\n".join(lines) + "\n"
