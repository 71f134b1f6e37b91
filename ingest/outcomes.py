"""What an ingestion run reports: one outcome per file, and the run's totals and stage timings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ingest.preparation import PREPARATION_STAGES
from rag.types import FileOutcomeStatus

STAGES = ("load", *PREPARATION_STAGES, "store")


@dataclass
class FileOutcome:
    """What became of one file (or of one attachment inside a file, cited as ``file › attachment``)."""

    source: str
    status: FileOutcomeStatus
    chunks: int = 0
    pages: int = 0
    reason: str | None = None
    redactions: Counter[str] = field(default_factory=Counter)
    document_id: str | None = None
    kind: str | None = None  # as the content sniffer named it; None when the file was never loaded
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    collection: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    # Seconds each stage was busy, summed over the processes it ran in: with workers, loading, redaction,
    # chunking and embedding ran in them, beside each other and beside this process's reading and storing.
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    elapsed_seconds: float = 0.0
    # Of the stage seconds, those spent in the executor's workers.
    worker_seconds: float = 0.0
    workers: int = 0

    def count(self, status: FileOutcomeStatus) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def chunks_written(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status.written)

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes if o.status.written)

    @property
    def redactions(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for outcome in self.outcomes:
            total.update(outcome.redactions)
        return total

    @property
    def kinds(self) -> Counter[str]:
        """Files written in this run, by kind (pdf, docx, xlsx, ...)."""
        return Counter(o.kind for o in self.outcomes if o.status.written and o.kind)

    @property
    def failures(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status is FileOutcomeStatus.FAILED]

    def to_dict(self) -> dict[str, object]:
        return {
            "collection": self.collection,
            "files": {str(status): self.count(status) for status in FileOutcomeStatus},
            "kinds": dict(sorted(self.kinds.items())),
            "chunks_written": self.chunks_written,
            "pages": self.pages,
            "redactions": dict(sorted(self.redactions.items())),
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "workers": self.workers,
            "worker_seconds": round(self.worker_seconds, 3),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "failures": [{"source": o.source, "reason": o.reason} for o in self.failures],
            "warnings": [{"source": o.source, "warning": w} for o in self.outcomes for w in o.warnings],
        }
