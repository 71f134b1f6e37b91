"""The local executor: worker processes on this machine, each loading the models once, preparing batches of
files as they free up while the ingesting process stores what they return.

spaCy and Presidio hold the GIL, so the work is spread over processes. The pool is Pebble's (already the file
parsers' isolation): it replaces a worker that dies (killed, out of memory) and fails only the batch that worker
held, which is prepared again, at most ``ATTEMPTS`` times. (A worker that dies while none has a batch makes Pebble
fail every batch queued: they are prepared again on a new pool.) Its workers are spawned, not forked (the parent
holds model threads that a fork would copy half-way), may start the child process each file is parsed in, and
exit once the ingesting process is gone (their task pipe closes).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessExpired, ProcessPool

from ingest.executors.bounded import prepare_bounded
from ingest.executors.worker import load_models, prepare_batch
from rag.egress import install_from_env
from rag.errors import ExecutorError
from rag.settings import Settings
from rag.types import FileToPrepare, PreparedBatch

ATTEMPTS = 2
# Batches in flight per worker: one being prepared and one queued, so that no worker waits for the writer.
IN_FLIGHT_PER_WORKER = 2


def start_pool(workers: int) -> ProcessPool:
    """Spawned worker processes that raise the egress guard before anything else, as every Enclave process does."""
    return ProcessPool(max_workers=workers, initializer=install_from_env, context=multiprocessing.get_context("spawn"))


def stop_pool(pool: ProcessPool) -> None:
    """Stop a pool Pebble has given up on (its batches failed with ``BrokenProcessPool``)."""
    pool.stop()
    pool.join()


class LocalExecutor:
    """``workers`` worker processes, which have loaded their models once it is built."""

    def __init__(self, settings: Settings, workers: int, ready_timeout: float = 600.0) -> None:
        self._settings = settings
        self.workers = max(1, workers)
        self._ready_timeout = ready_timeout
        self.worker_pids: set[int] = set()  # the workers that loaded their models at the start (for diagnostics)
        self._pool = self._start()

    def prepare(self, batches: Iterable[Sequence[FileToPrepare]]) -> Iterator[tuple[int, PreparedBatch]]:
        return prepare_bounded(
            self._submit,
            batches,
            IN_FLIGHT_PER_WORKER * self.workers,
            "the ingestion workers could not prepare a batch (a worker died twice?); run again to complete it",
            retry_on=(ProcessExpired, BrokenProcessPool),
            attempts=ATTEMPTS,
        )

    def close(self) -> None:
        self._pool.close()
        self._pool.join()

    def _submit(self, batch: list[FileToPrepare]) -> Future[PreparedBatch]:
        if not self._pool.active:  # a worker died while none had a batch: Pebble then fails the pool's batches
            stop_pool(self._pool)
            self._pool = self._start()
        return self._pool.schedule(prepare_batch, (self._settings, batch))

    def _start(self) -> ProcessPool:
        """Start the workers and have them load their models: models that cannot load stop the run here, before
        anything is read, and the time they take is not counted as ingestion's."""
        pool = start_pool(self.workers)
        # One load per worker, submitted together: each idle worker takes one while the others are busy loading.
        loading = [pool.schedule(load_models, (self._settings,)) for _ in range(self.workers)]
        try:
            self.worker_pids = {future.result(timeout=self._ready_timeout) for future in loading}
        except Exception as exc:
            pool.stop()
            failure = "the ingestion workers could not load their models; see the log"
            raise ExecutorError(failure, cause=repr(exc)) from exc
        return pool
