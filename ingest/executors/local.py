"""The local executor: worker processes on this machine, each loading the models once, preparing batches of
files as they free up while the ingesting process stores what they return.

spaCy and Presidio hold the GIL, so the work is spread over processes (``processes.py``). A worker that dies
(killed, out of memory) breaks the pool: a new one is started and the batches it held are prepared again,
each at most ``ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
import multiprocessing.process
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

from ingest.executors.processes import SpawnedPool
from ingest.executors.worker import load_models, prepare_batch
from rag.errors import ExecutorError
from rag.settings import Settings
from rag.types import FileToPrepare, PreparedBatch

logger = logging.getLogger(__name__)
ATTEMPTS = 2
# Batches in flight per worker: one being prepared and one queued, so that no worker waits for the writer.
IN_FLIGHT_PER_WORKER = 2


class LocalExecutor:
    """``workers`` worker processes, started and ready (models loaded) once it is built."""

    def __init__(self, settings: Settings, workers: int, ready_timeout: float = 600.0) -> None:
        self._settings = settings
        self.workers = max(1, workers)
        self._ready_timeout = ready_timeout
        self._pool = self._start()

    def prepare(self, batches: Iterable[Sequence[FileToPrepare]]) -> Iterator[tuple[int, PreparedBatch]]:
        waiting = enumerate(batches)
        running: dict[Future[PreparedBatch], tuple[int, list[FileToPrepare], int, SpawnedPool]] = {}

        def submit(index: int, batch: list[FileToPrepare], attempt: int) -> None:
            running[self._pool.executor.submit(prepare_batch, self._settings, batch)] = (
                index,
                batch,
                attempt,
                self._pool,
            )

        def fill() -> None:
            for index, batch in islice(waiting, max(0, IN_FLIGHT_PER_WORKER * self.workers - len(running))):
                submit(index, list(batch), 1)

        fill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index, batch, attempt, pool = running.pop(future)
                try:
                    prepared = future.result()
                except BrokenProcessPool as exc:
                    sources = ", ".join(file.source for file in batch)
                    if attempt >= ATTEMPTS:
                        raise ExecutorError(
                            "an ingestion worker died twice while preparing a batch; run again to complete it",
                            cause=sources,
                        ) from exc
                    if pool is self._pool:  # the first of the broken pool's batches to come back replaces it
                        logger.warning("an ingestion worker died; its batches are prepared again: %s", sources)
                        pool.shutdown()
                        self._pool = self._start()
                    submit(index, batch, attempt + 1)
                    continue
                yield index, prepared
            fill()

    def processes(self) -> list[multiprocessing.process.BaseProcess]:
        """The worker processes now (for diagnostics and tests)."""
        return self._pool.processes()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _start(self) -> SpawnedPool:
        """Start the workers and wait until each has loaded its models: a worker that cannot stops the run here,
        before anything is read, and the time the models take is not counted as ingestion's."""
        pool = SpawnedPool(self._settings, self.workers, load_models)
        pool.wait_ready(self._ready_timeout)
        return pool
