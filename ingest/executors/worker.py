"""What a worker process of ingestion runs: the prepare step, its models loaded once per process.

The executors ship ``prepare_batch`` by name to their workers (local processes, Dask workers), with the
settings; a worker builds its redactor, chunker and embedder the first time and keeps them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence

from ingest.prepare import Preparer
from rag.errors import ConfigurationError
from rag.settings import Settings
from rag.types import FileToPrepare, PreparedBatch

_lock = threading.Lock()
_preparers: dict[str, Preparer] = {}  # settings (as JSON) -> this process's preparer


def preparer_for(settings: Settings) -> Preparer:
    """This process's ``Preparer`` for these settings, built the first time it is asked for."""
    key = settings.model_dump_json()
    with _lock:  # a Dask worker may run tasks on several threads: one builds, the others wait for it
        if key not in _preparers:
            from ingest.builders import build_preparer, build_redactor  # deferred: heavy (spaCy, Presidio)
            from rag.components import load_embedder  # deferred: heavy (the embedder's runtime)

            _preparers.clear()  # models of other settings are not needed any more
            _preparers[key] = build_preparer(settings, build_redactor(settings), load_embedder(settings))
        return _preparers[key]


def load_models(settings: Settings, guard: bool = False) -> int:
    """Load this process's models now; with ``guard``, the egress guard goes up first (a worker Enclave started).
    The process's id."""
    _checked_preparer(settings, guard)
    return os.getpid()


def prepare_batch(settings: Settings, files: Sequence[FileToPrepare], guard: bool = False) -> PreparedBatch:
    """The prepare step in a worker, its models loaded the first time."""
    return _checked_preparer(settings, guard).prepare(files)


def _checked_preparer(settings: Settings, guard: bool) -> Preparer:
    if multiprocessing.current_process().daemon:
        raise ConfigurationError(
            "Enclave's workers parse each file in a child process, which a daemonic process may not start: run the "
            "Dask workers with DASK_DISTRIBUTED__WORKER__DAEMON=False (distributed.worker.daemon: false)"
        )
    if guard:
        from rag.egress import install_from_env  # deferred: only where Enclave started the worker

        install_from_env()
    return preparer_for(settings)
