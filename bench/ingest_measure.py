"""The measured part of the ingestion benchmark: one corpus ingested by a fresh child process, alone."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.log_setup import quiet_logging
from bench.naive_pipeline import CHUNK_CHARS, measure_naive
from rag.settings import load_settings

LOAD_SAMPLE_SECONDS = 5.0
COLLECTION = "bench"
# Settings that change the figures: recorded with them, since they are edited between runs.
RECORDED_SETTINGS = (
    "chunk_tokens",
    "chunk_overlap_tokens",
    "embed_batch_size",
    "embedder_backend",
    "spacy_models",
    "ingest_executor",
    "ingest_workers",
    "embed_threads",
)


@dataclass(frozen=True)
class IngestMeasurement:
    """What one ingestion child process reports back."""

    report: dict[str, object]
    model_load_seconds: float
    peak_rss_kib: int
    settings: dict[str, str]


def measure_ingest(corpus_dir: Path, data_dir: Path, **overrides: object) -> IngestMeasurement:
    """Build the pipeline as the CLI does (with these settings ``overrides``) and ingest ``corpus_dir``; meant to
    run in a fresh process. Model loading (the workers', before they are ready) is timed apart."""
    # deferred: heavy (torch, spaCy, Presidio): loaded by the measuring child alone, not by the parent
    from ingest.components import build_batch_ingestion

    quiet_logging()
    started = time.perf_counter()
    settings = load_settings(data_dir=data_dir, **overrides)
    batch = build_batch_ingestion(settings)  # as `enclave ingest` builds it
    model_load_seconds = time.perf_counter() - started
    report = batch.pipeline.ingest_paths([corpus_dir], COLLECTION)
    batch.close()  # the workers must have exited for their peak to be known
    # ru_maxrss is in KiB on Linux; for children it is the largest one's, so this bounds the sum from above.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak += batch.worker_count * resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    used = {name: str(getattr(settings, name)) for name in RECORDED_SETTINGS}
    used["ingest_workers"] = str(batch.worker_count)
    return IngestMeasurement(report.to_dict(), model_load_seconds, peak, used)


def measure_naive_ingest(corpus_dir: Path, data_dir: Path) -> IngestMeasurement:
    """The naive pipeline (bench/naive_pipeline.py) over ``corpus_dir``; meant to run in a fresh process."""
    quiet_logging()
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
