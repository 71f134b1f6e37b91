"""One row of the ingestion benchmark: a corpus's figures, from what its child process measured."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.corpus import CorpusStats
from bench.ingest_measure import IngestMeasurement

STAGES = ("load", "redact", "chunk", "embed", "store")


def rate(pages: int, seconds: float) -> float:
    return pages / seconds if seconds > 0 else 0.0


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
    # Stage seconds spent in the executor's workers (beside the ingesting process).
    worker_seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return rate(self.pages, self.ingest_seconds)

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
    )
