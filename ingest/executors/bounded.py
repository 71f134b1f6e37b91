"""Batches through an executor's futures with a bounded number in flight, taken as they complete: what the local
and Dask executors share (each brings its ``submit``; both give ``concurrent.futures`` futures)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from itertools import islice

from rag.errors import ExecutorError
from rag.types import FileToPrepare, PreparedBatch

logger = logging.getLogger(__name__)


def prepare_bounded(
    submit: Callable[[list[FileToPrepare]], Future[PreparedBatch]],
    batches: Iterable[Sequence[FileToPrepare]],
    in_flight: int,
    failure: str,
    retry_on: tuple[type[BaseException], ...] = (),
    attempts: int = 1,
) -> Iterator[tuple[int, PreparedBatch]]:
    """``(index, prepared)`` per batch as each completes, at most ``in_flight`` submitted and not yet taken (plus
    the one being written), so that the caller never holds more. A batch that fails with one of ``retry_on`` is
    submitted again, ``attempts`` times in all; any other failure, or the last, stops the run with
    ``ExecutorError(failure)`` naming its files (nothing of that batch is written: the next run completes it)."""
    waiting = enumerate(batches)
    running: dict[Future[PreparedBatch], tuple[int, list[FileToPrepare], int]] = {}

    def fill() -> None:
        for index, batch in islice(waiting, max(0, in_flight - len(running))):
            files = list(batch)
            running[submit(files)] = (index, files, 1)

    fill()
    while running:
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            index, batch, attempt = running.pop(future)
            try:
                prepared = future.result()
            except Exception as exc:  # the executor's failure, not a file's: those come back as reasons
                sources = ", ".join(file.source for file in batch)
                if not isinstance(exc, retry_on) or attempt >= attempts:
                    raise ExecutorError(failure, cause=f"{sources}: {exc!r}") from exc
                logger.warning("a batch is prepared again after %r: %s", exc, sources)
                running[submit(batch)] = (index, batch, attempt + 1)
                continue
            fill()  # the next batch goes out before this one is written: no worker waits for the writer
            yield index, prepared
