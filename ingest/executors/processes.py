"""Spawned worker processes that load their models once, exit with their parent, and say when they are ready.

Spawned, not forked: the parent holds model threads that a fork would copy half-way. A worker is an Enclave
process like any other: the egress guard goes up before it imports a model library.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from rag.errors import ExecutorError
from rag.settings import Settings

_PARENT_POLL_SECONDS = 1.0


class SpawnedPool:
    """``workers`` processes, each running ``load(settings)`` at its start; ``executor`` takes their work."""

    def __init__(self, settings: Settings, workers: int, load: Callable[[Settings], None]) -> None:
        context = multiprocessing.get_context("spawn")
        self.size = workers
        self._ready: Any = context.Queue()
        self._loaded = 0
        before = {child.pid for child in multiprocessing.active_children()}
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(settings, os.getpid(), self._ready, load),
        )
        # Each submission starts a worker until there are ``workers``: they load their models side by side, and
        # the children that appear are this pool's (known through multiprocessing's public active_children()).
        self._starting = [self.executor.submit(os.getpid) for _ in range(workers)]
        self._children = [child for child in multiprocessing.active_children() if child.pid not in before]

    def processes(self) -> list[multiprocessing.process.BaseProcess]:
        return list(self._children)

    def ready(self) -> bool:
        """Whether every worker has loaded its models (without waiting)."""
        while self._loaded < self.size:
            try:
                self._ready.get_nowait()
            except queue.Empty:
                return False
            self._loaded += 1
        return True

    def wait_ready(self, timeout: float) -> None:
        """Wait until every worker has loaded its models; ``ExecutorError`` if one cannot, or not in time."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            broken = any(future.done() and future.exception() for future in self._starting)
            if broken or time.monotonic() > deadline:
                self.shutdown()
                raise ExecutorError("the ingestion workers could not load their models; see the log")
            time.sleep(0.05)

    def shutdown(self, wait: bool = False) -> None:
        self.executor.shutdown(wait=wait, cancel_futures=True)


def _start_worker(settings: Settings, parent: int, ready: Any, load: Callable[[Settings], None]) -> None:
    # The parent's pid comes from the parent: one killed while this worker was starting is already gone here.
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    from rag.egress import install_from_env  # deferred: the guard must be up before the models' imports

    install_from_env()
    load(settings)
    ready.put(os.getpid())


def _exit_with_parent(parent: int) -> None:
    # A worker of an ingest killed by SIGKILL would wait for work for ever, holding its models' memory.
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(0)
