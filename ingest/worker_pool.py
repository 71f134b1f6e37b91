"""Worker processes for ingestion: spawned, each loading its models once, gone when their parent is.

spaCy and Presidio hold the GIL, so threads do not help: work is spread over processes. A worker is an
Enclave process like any other (the egress guard goes up first), loads its models while the caller goes
on, and exits within a second when the process that started it dies (an ingest killed with SIGKILL).
A worker that dies is replaced; what it held is redone by the caller.

Each worker holds a redactor. ``PooledRedactor`` shares one batch between them and its caller;
``IngestWorkers`` hands them whole groups of documents, which they redact while the ingesting process
chunks, embeds and stores the groups before: a pipeline whose stages run on different cores. When the
ingesting process falls behind (redaction is the faster stage), workers also chunk and embed some groups
themselves, loading an embedder the first time; when the workers fall behind (redaction is the slower
stage, as where the embedder computes in bfloat16), the ingesting process redacts some groups itself, and
takes back the groups not yet handed to a worker rather than wait for one. Either way every core stays busy.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from ingest.preparation import DocumentWork, GroupPreparer, PreparedGroup, RedactedGroup, RedactionJob, redact_group
from rag.settings import Settings

logger = logging.getLogger(__name__)
_PARENT_POLL_SECONDS = 1.0
# What this process holds when it is a worker: its settings, its redactor, and a preparer once it embeds.
_state: dict[str, Any] = {}


def _exit_with_parent(parent: int) -> None:
    # A worker of an ingest killed by SIGKILL would wait for work for ever, holding its models' memory.
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(0)


def _start_worker(settings: Settings, parent: int) -> None:
    # The parent's pid comes from the parent: one killed while this worker was starting is already gone here.
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    from rag.egress import install_from_env  # deferred: the guard must be up before the heavy imports below

    install_from_env()  # a spawned worker is an Enclave process too: no egress from it either
    from ingest.builders import build_redactor  # deferred: heavy (spaCy, Presidio), loaded in the worker only

    _state["settings"] = settings
    _state["redactor"] = build_redactor(settings)


def _ready() -> bool:
    return "redactor" in _state


def worker_state(name: str) -> Any:
    return _state[name]


def _redact_group(works: list[DocumentWork]) -> RedactedGroup:
    return redact_group(_state["redactor"], works)


def _prepare_group(works: list[DocumentWork]) -> PreparedGroup:
    return _worker_preparer().prepare(works)


def _worker_preparer() -> GroupPreparer:
    if "preparer" not in _state:
        from ingest.builders import build_preparer  # deferred: heavy (spaCy, Presidio)
        from rag.components import load_embedder  # deferred: heavy (torch), only once a worker embeds

        settings: Settings = _state["settings"]
        # One thread: a worker has one core, the ingesting process embeds on the others.
        _state["preparer"] = build_preparer(settings, _state["redactor"], load_embedder(settings, threads=1))
    preparer: GroupPreparer = _state["preparer"]
    return preparer


class WorkerPool:
    """``workers`` spawned processes holding a redactor, started at once, ready once their models are loaded."""

    def __init__(self, settings: Settings, workers: int) -> None:
        self._settings = settings
        self._workers = max(0, workers)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._warming: list[Future[bool]] = []
        self._children: list[multiprocessing.process.BaseProcess] = []
        if self._workers:
            self._start()

    @property
    def size(self) -> int:
        return self._workers

    def ready(self) -> bool:
        """Whether every worker has loaded its models (a pool lost to a dead worker is started again)."""
        if not self._workers:
            return False
        with self._lock:
            if self._pool is None:
                self._start()
            return all(future.done() for future in self._warming)

    def wait_ready(self, timeout: float) -> None:
        self.ready()
        for future in list(self._warming):
            future.result(timeout=timeout)

    def submit(self, function: Callable[..., Any], *args: Any) -> tuple[ProcessPoolExecutor, Future[Any]] | None:
        """Hand ``function(*args)`` to a worker; None when no worker can take it now."""
        with self._lock:
            for attempt in range(2):
                pool = self._pool or self._start()
                try:
                    return pool, pool.submit(function, *args)
                except BrokenProcessPool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
                    if attempt:
                        return None
        return None

    def restart(self, broken: ProcessPoolExecutor) -> None:
        """Drop a pool whose worker died; the next ``ready`` starts a new one."""
        with self._lock:
            if self._pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def processes(self) -> list[multiprocessing.process.BaseProcess]:
        """The current pool's worker processes (for tests and diagnostics)."""
        with self._lock:
            return list(self._children) if self._pool is not None else []

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None

    def _start(self) -> ProcessPoolExecutor:
        # Spawned, not forked: the parent holds model threads that a fork would copy half-way.
        pool = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._settings, os.getpid()),
        )
        # Workers load their models now, while the caller goes on; until they are ready it works alone. With the
        # spawn context each submission starts a worker, so the children that appear are this pool's: known
        # through multiprocessing's public active_children(), not the executor's private table.
        before = {child.pid for child in multiprocessing.active_children()}
        self._warming = [pool.submit(_ready) for _ in range(self._workers)]
        self._children = [child for child in multiprocessing.active_children() if child.pid not in before]
        self._pool = pool
        return pool


def _page_count(works: Sequence[DocumentWork]) -> int:
    return sum(len(work.pages) for work in works)


@dataclass
class WorkSplit:
    """What redacting, and chunking and embedding, have cost per page so far, and from that how to share the
    work so that the workers and the caller are about equally busy.

    Per page, redacting costs r (measured in the workers), chunking and embedding c, and the caller's own
    loading and storing s. Over n workers and the caller, when redaction is the faster stage, workers redact
    everything and prepare a share f of the pages entirely: (r + f c) / n = (1 - f) c + s, so
    f = (n (c + s) - r) / ((n + 1) c). When it is the slower stage, the caller redacts a share g of the pages
    itself: (1 - g) r / n = g r + c + s, so g = (r - n (c + s)) / ((n + 1) r). At most one of them is above 0.
    """

    workers: int
    pages: int = 0  # pages the workers redacted, over which ``redact`` and ``finish`` were measured
    redact: float = 0.0
    finish: float = 0.0
    caller: float = 0.0  # the caller's loading and storing, over ``caller_pages``
    caller_pages: int = 0

    def share(self) -> float:
        """The share of pages workers should prepare entirely (redact, chunk and embed)."""
        costs = self._costs()
        if costs is None:
            return 0.0
        r, c, s = costs
        n = self.workers
        return min(1.0, max(0.0, (n * (c + s) - r) / ((n + 1) * c)))

    def kept_share(self) -> float:
        """The share of pages the caller should redact itself, rather than wait for the workers."""
        costs = self._costs()
        if costs is None or not costs[0]:
            return 0.0
        r, c, s = costs
        n = self.workers
        return min(1.0, max(0.0, (r - n * (c + s)) / ((n + 1) * r)))

    def _costs(self) -> tuple[float, float, float] | None:
        if not self.pages or not self.finish:
            return None
        caller = self.caller / self.caller_pages if self.caller_pages else 0.0
        return self.redact / self.pages, self.finish / self.pages, caller


class IngestWorkers:
    """Processes that redact whole groups of documents ahead of the ingesting process, prepare some groups
    entirely (redact, chunk, embed) when the ingesting process is the one behind, and leave some groups to it
    to redact when they are."""

    def __init__(self, settings: Settings, processes: int) -> None:
        self.pool = WorkerPool(settings, processes)
        # Jobs not handed to a worker yet: while the workers load, or while they hold as many groups as they may.
        # A job waiting here can still be taken back by the caller; one in the pool's queue could only be cancelled,
        # which this Python's pool does not survive if a worker dies afterwards (a cancelled future it then fails).
        self._waiting: list[RedactionJob] = []
        # Jobs handed to the workers: two per worker and one more, so that each always has its next group queued.
        self._handed: list[RedactionJob] = []
        self._handed_limit = 2 * self.size + 1
        # The torch embedder takes every core whatever it is told, so a worker holding one would slow the caller.
        self._may_embed = settings.embedder_backend != "torch"
        self.start_run()

    def start_run(self) -> None:
        """Measure afresh: the caller's run starts, and its counts of seconds with it."""
        self.split = WorkSplit(workers=self.size)
        self._prepared_pages = 0  # pages of this run handed to workers to prepare entirely
        self._kept_pages = 0  # pages of this run the caller was left to redact
        self._handed_pages = 0  # pages of this run handed over, to a worker or kept
        # Jobs of a run that stopped part-way are not this run's to hand over (nor kept in memory).
        self._waiting = []
        self._handed = [job for job in self._handed if job.in_worker()]

    def record(self, job: RedactionJob, prepared: PreparedGroup, caller_seconds: float) -> None:
        """Learn from a group the caller has taken what each side costs per page; ``caller_seconds`` is what the
        caller has spent outside preparation (loading, storing) since its run started."""
        pages = _page_count(job.works)
        self.split.caller = caller_seconds
        self.split.caller_pages += pages
        if job.future is None or job.ran_here:
            return
        self.split.pages += pages
        self.split.redact += prepared.seconds.get("redact", 0.0)
        self.split.finish += prepared.seconds.get("chunk", 0.0) + prepared.seconds.get("embed", 0.0)

    def _prepare_next(self, works: Sequence[DocumentWork]) -> bool:
        """Whether a worker prepares this group entirely, so that the share of the run's pages that workers
        prepare follows ``split.share()``. As in ``_keep_next``, the share is of every page handed over since
        the run started: the groups handed out before anything was measured were only redacted by the workers,
        and are made up for afterwards."""
        if not self._may_embed:
            return False
        pages = _page_count(works)
        if self._prepared_pages + pages > self.split.share() * self._handed_pages:
            return False
        self._prepared_pages += pages
        return True

    def _keep_next(self, works: Sequence[DocumentWork]) -> bool:
        """Whether the caller redacts this group itself, so that the share of the run's pages it redacts
        follows ``split.kept_share()``. The share is of every page since the run started, those handed over
        before anything was measured included: the caller catches up on them while the workers work through
        the groups they hold."""
        pages = _page_count(works)
        self._handed_pages += pages
        if self._kept_pages + pages > self.split.kept_share() * self._handed_pages:
            return False
        self._kept_pages += pages
        return True

    @property
    def size(self) -> int:
        return self.pool.size

    def submit(
        self, works: Sequence[DocumentWork], redact_here: Callable[[Sequence[DocumentWork]], RedactedGroup]
    ) -> RedactionJob:
        """Hand the group to a worker and return at once. While the workers still load their models, or hold as
        many groups as they may, the job waits: the caller does it if it needs the result first (or takes it back
        while it waits for an older group), a worker takes it once it has room otherwise."""
        job = RedactionJob(works, redact_here)
        if works:
            self._waiting.append(job)
            self.hand_over()
        return job

    def take_back(self, job: RedactionJob) -> bool:
        """Redact here now a group no worker has been handed yet, counted as one the caller keeps; False when it
        is with a worker already, or begun."""
        if job.started or not any(waiting is job for waiting in self._waiting):
            return False
        self._waiting = [waiting for waiting in self._waiting if waiting is not job]
        pages = _page_count(job.works)
        self._handed_pages += pages
        self._kept_pages += pages
        job.redact_now()
        return True

    def hand_over(self) -> None:
        """Hand the waiting jobs to the workers as far as they have room; the caller calls this as it goes, so that
        the workers' queue fills up again as they finish groups."""
        if not self.pool.ready():
            return
        self._handed = [job for job in self._handed if job.in_worker()]
        while self._waiting and len(self._handed) < self._handed_limit:
            job = self._waiting.pop(0)
            if job.started:  # the caller began it itself
                continue
            if self._keep_next(job.works):
                continue  # no future: the caller redacts it when it comes to it, while the workers go on
            job.prepare = self._prepare_next(job.works)
            submitted = self.pool.submit(_prepare_group if job.prepare else _redact_group, list(job.works))
            if submitted is None:  # no pool to take it: the caller redacts it when it comes to it
                pages = _page_count(job.works)
                if job.prepare:
                    self._prepared_pages -= pages
                    job.prepare = False
                self._kept_pages += pages
                return
            pool, job.future = submitted
            job.on_broken = lambda pool=pool: self.pool.restart(pool)
            self._handed.append(job)

    def redact_while_waiting(self, oldest: RedactionJob, later: Sequence[RedactionJob]) -> None:
        """While a worker still holds the ``oldest`` job, refill the workers' queue and redact here, newest first,
        the ``later`` jobs no worker has been handed, rather than wait for it (at the end of a run the workers
        would otherwise hold the last groups while the caller stood idle). The groups are still stored in order."""
        for job in reversed(later):
            self.hand_over()  # first: the other workers may have finished their groups meanwhile
            if not oldest.in_worker():
                return
            self.take_back(job)

    def close(self) -> None:
        self.pool.close()
