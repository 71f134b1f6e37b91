"""Ingestion benchmark: the real Enclave pipeline on the sample documents and on generated corpora.

For each size, a corpus is generated into a temporary folder and ingested into a fresh temporary
data dir, exactly as ``enclave ingest`` builds the pipeline. Each ingestion runs in a child process
of its own, so that its peak RSS and model loading are measured alone. Figures are printed and,
unless ``--no-append``, appended to docs/benchmarks/history.md.

Usage: python -m bench.ingest_bench --pages 500 [--pages 1000 ...] [--naive] [--seed S] [--keep] [--no-append]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.corpus import CorpusStats, generate_corpus

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = REPO_ROOT / "sample_docs"
# The dated log each run appends to; docs/benchmarks.md holds the current figures, kept by hand.
BENCHMARKS_FILE = REPO_ROOT / "docs" / "benchmarks" / "history.md"
# Each benchmark's one current plot: here (not versioned), and in docs/benchmarks/ with --update-docs.
PLOTS_DIR = REPO_ROOT / "bench" / "out"
DOCS_PLOTS_DIR = REPO_ROOT / "docs" / "benchmarks"
STAGES = ("load", "redact", "chunk", "embed", "store")
LIBRARIES = ("torch", "sentence-transformers", "chromadb", "presidio-analyzer", "spacy")
BUSY_LOAD_AVERAGE = 1.5
# The ingestion alone keeps up to two cores busy (torch uses every core while embedding), so only a load
# above this, sampled while it runs, shows other work on this 2-core machine.
BUSY_LOAD_DURING = 3.0
LOAD_SAMPLE_SECONDS = 5.0
COLLECTION = "bench"
# Settings that change the figures: recorded with them, since they are edited between runs.
RECORDED_SETTINGS = (
    "chunk_tokens",
    "chunk_overlap_tokens",
    "embed_batch_size",
    "embedder_backend",
    "spacy_models",
    "ingest_workers",
    "embed_threads",
)
BENCHMARKS_HEADER = """# Benchmarks: history

Figures measured by the scripts in `bench/`, which append a dated section to this file on each run
(newest last); the current figures are in `../benchmarks.md`. Each section names the machine, the library
versions and the exact command, so a figure can be reproduced and compared. Throughput excludes model
loading, which is shown apart.
"""

console = Console()


@dataclass(frozen=True)
class IngestMeasurement:
    """What one ingestion child process reports back."""

    report: dict[str, object]
    model_load_seconds: float
    peak_rss_kib: int
    settings: dict[str, str]


@dataclass(frozen=True)
class BenchRow:
    corpus: str
    files: int
    pages: int
    chunks: int
    failed: int
    model_load_seconds: float
    ingest_seconds: float
    stage_seconds: dict[str, float]
    peak_rss_mib: float
    peak_load: float
    settings: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    generated: CorpusStats | None = None
    generation_seconds: float = 0.0
    # Stage seconds spent in ingestion workers (beside the ingesting process), and that process's waits for them.
    worker_seconds: float = 0.0
    wait_seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return rate(self.pages, self.ingest_seconds)

    @property
    def unstaged_seconds(self) -> float:
        """Time of the ingesting process outside the stages it ran: discovery, hashing, ledger look-ups."""
        own = sum(self.stage_seconds.values()) - self.worker_seconds
        return max(0.0, self.ingest_seconds - own - self.wait_seconds)

    @property
    def slowest_stage_ratio(self) -> float:
        """End-to-end seconds over the slowest stage's busy seconds: 1.0 when every other stage hides behind it."""
        slowest = self.stage_seconds.get(self.dominant_stage, 0.0)
        return self.ingest_seconds / slowest if slowest else 0.0

    def stage_share(self, stage: str) -> float:
        return self.stage_seconds.get(stage, 0.0) / self.ingest_seconds if self.ingest_seconds else 0.0

    @property
    def dominant_stage(self) -> str:
        return max(STAGES, key=lambda stage: self.stage_seconds.get(stage, 0.0))


@dataclass(frozen=True)
class MachineInfo:
    cpu_model: str
    cpu_count: int
    ram_gib: float
    python: str
    libraries: dict[str, str]
    git_revision: str
    load_before: tuple[float, float, float]


def rate(pages: int, seconds: float) -> float:
    return pages / seconds if seconds > 0 else 0.0


# -- the measured part, in a child process ----------------------------------------------------------


def _quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("presidio-analyzer", "presidio-anonymizer", "sentence_transformers", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def measure_ingest(corpus_dir: Path, data_dir: Path) -> IngestMeasurement:
    """Build the pipeline as the CLI does and ingest ``corpus_dir``; meant to run in a fresh process."""
    import rag  # noqa: F401  (sets the offline switches before any model library is imported)
    from ingest.components import build_batch_ingestion
    from rag.settings import load_settings

    _quiet_logging()
    started = time.perf_counter()
    settings = load_settings(data_dir=data_dir)
    batch = build_batch_ingestion(settings)  # as `enclave ingest` builds it
    model_load_seconds = time.perf_counter() - started
    report = batch.pipeline.ingest_paths([corpus_dir], COLLECTION)
    batch.close()  # the workers must have exited for their peak to be known
    # ru_maxrss is in KiB on Linux; for children it is the largest one's, so this bounds the sum from above.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak += batch.worker_count * resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    used = {name: str(getattr(settings, name)) for name in RECORDED_SETTINGS}
    used["ingest_workers"] = str(batch.worker_count)
    used["embed_threads"] = str(batch.embed_threads)
    return IngestMeasurement(report.to_dict(), model_load_seconds, peak, used)


def measure_naive_ingest(corpus_dir: Path, data_dir: Path) -> IngestMeasurement:
    """The naive pipeline (bench/naive_pipeline.py) over ``corpus_dir``; meant to run in a fresh process."""
    from bench.naive_pipeline import CHUNK_CHARS, measure_naive

    _quiet_logging()
    report, model_load_seconds, peak = measure_naive(corpus_dir, data_dir)
    return IngestMeasurement(report, model_load_seconds, peak, {"chunk_chars": str(CHUNK_CHARS)})


def measure_in_child(
    corpus_dir: Path, data_dir: Path, measure: Callable[[Path, Path], IngestMeasurement] = measure_ingest
) -> tuple[IngestMeasurement, float]:
    """The measurement, and the highest 1-minute load average seen while it ran."""
    peak_load = os.getloadavg()[0]
    # spawn, not fork: the child must not inherit the parent's memory, or its peak RSS would include it.
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        future = pool.submit(measure, corpus_dir, data_dir)
        while True:
            try:
                return future.result(timeout=LOAD_SAMPLE_SECONDS), max(peak_load, os.getloadavg()[0])
            except TimeoutError:
                peak_load = max(peak_load, os.getloadavg()[0])


def row_from_measurement(
    corpus: str,
    measurement: IngestMeasurement,
    peak_load: float,
    generated: CorpusStats | None,
    generation_seconds: float,
) -> BenchRow:
    report = measurement.report
    files = report["files"]
    stages = report["stage_seconds"]
    failures = report["failures"]
    assert isinstance(files, dict) and isinstance(stages, dict) and isinstance(failures, list)
    return BenchRow(
        corpus=corpus,
        files=sum(files[status] for status in ("new", "changed", "skipped", "failed")),
        pages=int(str(report["pages"])),
        chunks=int(str(report["chunks_written"])),
        failed=int(files["failed"]),
        model_load_seconds=measurement.model_load_seconds,
        ingest_seconds=float(str(report["elapsed_seconds"])),
        stage_seconds={stage: float(stages.get(stage, 0.0)) for stage in STAGES},
        peak_rss_mib=measurement.peak_rss_kib / 1024,
        peak_load=peak_load,
        settings=measurement.settings,
        failures=[f"{failure['source']}: {failure['reason']}" for failure in failures],
        generated=generated,
        generation_seconds=generation_seconds,
        worker_seconds=float(str(report.get("worker_seconds", 0.0))),
        wait_seconds=float(str(report.get("worker_wait_seconds", 0.0))),
    )


# -- one row per corpus -----------------------------------------------------------------------------


def bench_folder(
    corpus: str, folder: Path, work_dir: Path, generated: CorpusStats | None = None, generation_seconds: float = 0.0
) -> BenchRow:
    with console.status(f"[bold]{corpus}[/]: ingesting {folder} ..."):
        measurement, peak_load = measure_in_child(folder, work_dir / "data")
    return row_from_measurement(corpus, measurement, peak_load, generated, generation_seconds)


def bench_generated(pages: int, seed: int, work_dir: Path, naive: bool = False) -> list[BenchRow]:
    """Enclave's row for a generated corpus, and with ``naive`` the naive pipeline's on the same files."""
    corpus_dir = work_dir / "corpus"
    started = time.perf_counter()
    with console.status(f"generating a corpus of {pages} pages ..."):
        stats = generate_corpus(corpus_dir, pages, seed)
    generation_seconds = time.perf_counter() - started
    console.print(f"generated {stats.summary()} in {generation_seconds:.1f} s")
    rows = [bench_folder(f"{pages} pages", corpus_dir, work_dir, stats, generation_seconds)]
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


def run_all(sizes: Sequence[int], seed: int, keep: bool, naive: bool = False) -> list[BenchRow]:
    rows: list[BenchRow] = []
    for label, pages in [("sample_docs", None), *((f"{size}p", size) for size in sizes)]:
        work_dir = make_work_dir(label, keep)
        try:
            if pages is None:
                new_rows = [bench_folder("sample_docs/", SAMPLE_DOCS, work_dir)]
            else:
                new_rows = bench_generated(pages, seed, work_dir, naive)
        finally:
            if not keep:
                shutil.rmtree(work_dir, ignore_errors=True)
        for row in new_rows:
            console.print(f"{row.corpus}: {row.pages} pages in {row.ingest_seconds:.1f} s")
        rows.extend(new_rows)
    return rows


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
    import matplotlib

    matplotlib.use("Agg")  # no display here
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for label, points in (("Enclave", enclave), ("naive pipeline", naive)):
        if points:
            points.sort()
            axis.plot([p for p, _ in points], [r for _, r in points], marker="o", label=label)
    axis.set_xscale("log")
    axis.set_xlabel("corpus size (pages)")
    axis.set_ylabel("pages per second")
    axis.set_ylim(bottom=0)
    axis.set_title("Ingestion throughput against corpus size")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


# -- machine description ----------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's name with its family and model numbers: virtual machines often name only the vendor's line
    ("AMD EPYC"), and two generations under one name run the models at very different speeds."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or "unknown"
    if "cpu family" in fields and "model" in fields:
        return f"{name} (family {fields['cpu family']}, model {fields['model']})"
    return name


def total_ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{revision} (uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else revision


def machine_info() -> MachineInfo:
    return MachineInfo(
        cpu_model=cpu_model(),
        cpu_count=os.cpu_count() or 0,
        ram_gib=total_ram_gib(),
        python=platform.python_version(),
        libraries=library_versions(),
        git_revision=git_revision(),
        load_before=os.getloadavg(),
    )


# -- output -----------------------------------------------------------------------------------------

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
STAGE_COLUMNS = ("Corpus", *STAGES, "other", "waiting", "Slowest stage", "End to end / slowest")


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
        f"{row.unstaged_seconds:.1f} s",
        f"{row.wait_seconds:.1f} s",
        f"{dominant} ({row.stage_share(dominant):.0%})",
        f"{row.slowest_stage_ratio:.2f}",
    ]


def print_tables(rows: Sequence[BenchRow]) -> None:
    for title, columns, cells in (
        ("Ingestion", SUMMARY_COLUMNS, summary_cells),
        ("Seconds per stage (pages/s)", STAGE_COLUMNS, stage_cells),
    ):
        table = Table(title=title)
        for column in columns:
            table.add_column(column, justify="left" if column == "Corpus" else "right")
        for row in rows:
            table.add_row(*cells(row))
        console.print(table)
    for row in rows:
        for failure in row.failures:
            console.print(f"[red]failed[/] {row.corpus}: {failure}")


def markdown_table(columns: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    header = "| " + " | ".join(columns) + " |"
    rule = "| " + " | ".join("---" if column == "Corpus" else "--:" for column in columns) + " |"
    body = ["| " + " | ".join(cells) + " |" for cells in lines]
    return "\n".join([header, rule, *body])


def format_load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load)


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
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    libraries = ", ".join(f"{name} {version}" for name, version in machine.libraries.items())
    lines = [
        f"## {when}: ingestion",
        "",
        f"- Machine: {machine.cpu_model}, {machine.cpu_count} CPUs (`os.cpu_count()`), {machine.ram_gib:.1f} GiB RAM",
        f"- Software: Python {machine.python}, {libraries}",
        f"- Code: git {machine.git_revision}",
        f"- Settings: {settings_line(rows)}",
        f"- Command: `{command}`",
        f"- Load average (1/5/15 min) before: {format_load(machine.load_before)}; after: {format_load(load_after)}",
    ]
    concurrency = concurrency_note(machine, rows)
    if concurrency:
        lines.append(f"- Note: {concurrency}")
    lines += corpus_notes(rows, seed)
    lines += [
        "- Each corpus is ingested by a fresh process into an empty data dir; peak RSS is that process's "
        "`ru_maxrss`, model loading included, plus its redaction workers' (the largest child's peak times their "
        "number, an upper bound). *Model load* is building the redactor (spaCy, Presidio), the "
        "embedder and the store; pages/s excludes it. *Peak load avg* is the highest "
        "1-minute load average sampled while that corpus was ingested.",
        "",
        markdown_table(SUMMARY_COLUMNS, [summary_cells(row) for row in rows]),
        "",
        "Seconds each stage was busy, summed over the processes it ran in, with pages/s over those seconds in "
        "brackets. With ingestion workers (`ingest_workers` above 0) the workers redact the next groups while the "
        "ingesting process loads, chunks, embeds (on `embed_threads` threads) and stores the groups before: the "
        "stages overlap, each on its own cores. *waiting* is the time the ingesting process waited for a "
        "worker's group; *other* its time outside its stages (discovery, hashing, ledger look-ups). *End to end / "
        "slowest* is the ingest time over the slowest stage's busy seconds: 1.00 when everything else hides "
        "behind it.",
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


def publish_plot(plot: Path, update_docs: bool) -> None:
    """Say where the current plot is; with ``update_docs``, copy it over the one in docs/benchmarks/."""
    console.print(f"plot: {plot.relative_to(REPO_ROOT)}")
    if update_docs:
        DOCS_PLOTS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(plot, DOCS_PLOTS_DIR / plot.name)
        console.print(f"copied to {(DOCS_PLOTS_DIR / plot.name).relative_to(REPO_ROOT)}")


def append_section(path: Path, section: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else BENCHMARKS_HEADER
    path.write_text(existing.rstrip("\n") + "\n\n" + section, encoding="utf-8")


# -- command line -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=int, action="append", help="size of a generated corpus; repeat for several (default: 500)"
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
    rows = run_all(args.pages or [500], args.seed, args.keep, args.naive)
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
