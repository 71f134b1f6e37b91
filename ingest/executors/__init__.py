"""Executors of ingestion's prepare step, picked by ``ENCLAVE_INGEST_EXECUTOR`` or ``enclave ingest --executor``.

``local`` (the default): worker processes of this machine, or this process alone with ``ENCLAVE_INGEST_WORKERS=0``;
``dask``: the workers of a Dask distributed cluster. Each runs ``ingest/prepare.py`` and hands back what the
one writer of the ingesting process stores.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ingest.executors.in_process import InProcessExecutor
from ingest.executors.local import LocalExecutor
from rag.protocols import PrepareExecutor
from rag.settings import Settings
from rag.types import IngestExecutor

__all__ = ["EXECUTORS", "InProcessExecutor", "LocalExecutor", "build_executor", "cores", "worker_count"]


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_count(settings: Settings) -> int:
    """Processes preparing at once: the setting, else one per core (the writer needs little of one)."""
    return settings.ingest_workers if settings.ingest_workers is not None else cores()


def _on_this_machine(settings: Settings, workers: int) -> Settings:
    """The workers' settings: each embeds on its share of the cores, unless ``ENCLAVE_EMBED_THREADS`` says."""
    return settings.model_copy(update={"embed_threads": settings.embed_threads or max(1, cores() // workers)})


def _local(settings: Settings, workers: int) -> PrepareExecutor:
    if workers == 0:
        from ingest.builders import build_preparer, build_redactor  # deferred: heavy (spaCy, Presidio)
        from rag.components import load_embedder  # deferred: heavy (the embedder's runtime)

        return InProcessExecutor(build_preparer(settings, build_redactor(settings), load_embedder(settings)))
    return LocalExecutor(_on_this_machine(settings, workers), workers)


def _dask(settings: Settings, workers: int) -> PrepareExecutor:
    from ingest.executors.dask_executor import DaskExecutor  # deferred: Dask is an optional extra

    if settings.dask_scheduler:  # its workers' cores are the cluster's to share out
        return DaskExecutor(settings, workers)
    workers = max(1, workers)
    return DaskExecutor(_on_this_machine(settings, workers), workers)


EXECUTORS: dict[IngestExecutor, Callable[[Settings, int], PrepareExecutor]] = {
    IngestExecutor.LOCAL: _local,
    IngestExecutor.DASK: _dask,
}


def build_executor(settings: Settings, kind: IngestExecutor | None = None) -> PrepareExecutor:
    """The executor ``kind`` names (default: the settings'), started: its workers have loaded their models."""
    return EXECUTORS[IngestExecutor(kind or settings.ingest_executor)](settings, worker_count(settings))
