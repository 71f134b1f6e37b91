"""Every file parser in a worker process with a time limit and a memory cap.

A hostile or broken file (a decompression bomb, deeply nested objects, a page tree that loops, a
spreadsheet of a million rows) can make a parser run for ever or eat all memory. Parsing happens in a
separate process (pebble's pool, one worker, spawned, with an address-space limit); a file that takes too
long gets its worker killed and is reported as failed, and the next file gets a fresh worker.

Any loader that fits ``loader.Loader`` and is a module-level function (the spawned worker imports it by
name) runs here through ``within_limits``. The limits are ``PdfLimits``, named after the first parser they
bounded: its time and memory limits apply to every kind, its stream limit to PDFs.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing
import multiprocessing.util
import resource
import threading
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from ingest.loading.loader import DEFAULT_PDF_STREAM_MB, Loader, LoadOptions, PdfLimits
from ingest.loading.pdf import load_pdf_document
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument

_lock = threading.Lock()
_pool: ProcessPool | None = None
_pool_memory_mb = 0


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _get_pool(memory_mb: int) -> ProcessPool:
    global _pool, _pool_memory_mb
    if _pool is None or not _pool.active or memory_mb != _pool_memory_mb:
        if _pool is not None:
            _pool.stop()
        # Spawned, not forked: the parent may hold model threads that a fork would copy half-way.
        _pool = ProcessPool(
            max_workers=1,
            max_tasks=500,
            initializer=_limit_memory,
            initargs=(memory_mb,),
            context=multiprocessing.get_context("spawn"),
        )
        _pool_memory_mb = memory_mb
    return _pool


def _shutdown() -> None:
    if _pool is not None:
        _pool.stop()
        _pool.join(timeout=5)


atexit.register(_shutdown)
# A process that is itself a multiprocessing child (a benchmark's measuring process, a test's worker) does
# not run atexit handlers: it joins its children at exit, and would wait for ever on the idle worker.
# multiprocessing runs its own finalizers before that join.
multiprocessing.util.Finalize(None, _shutdown, exitpriority=100)


def run_isolated(loader: Loader, data: bytes, options: LoadOptions, what: str) -> LoadedDocument:
    """``loader(data, options)`` in the worker; a file over the time or memory limit, or one that crashes
    the worker, fails with a reason naming ``what`` was parsed ("PDF", "Word document", ...)."""
    limits = options.pdf_limits
    with _lock:
        future = _get_pool(limits.memory_mb).schedule(loader, args=(data, options), timeout=limits.timeout_seconds)
        try:
            return future.result()
        except FutureTimeout as exc:
            raise UnsupportedDocumentError(
                f"{what} parsing took longer than the limit of {limits.timeout_seconds:g} s"
            ) from exc
        except MemoryError as exc:
            raise UnsupportedDocumentError(
                f"{what} parsing needed more than the limit of {limits.memory_mb} MiB"
            ) from exc
        except ProcessExpired as exc:
            raise UnsupportedDocumentError(f"the {what} parser crashed (exit code {exc.exitcode})") from exc


def within_limits(loader: Loader, what: str) -> Loader:
    """The registry's entry for ``loader``: in the isolated worker, or in this process if the limits say so."""

    @functools.wraps(loader)
    def load(data: bytes, options: LoadOptions, /) -> LoadedDocument:
        if not options.pdf_limits.isolated:
            return loader(data, options)
        return run_isolated(loader, data, options, what)

    return load


load_pdf_within_limits = within_limits(load_pdf_document, "PDF")


def load_pdf_isolated(
    data: bytes, max_pages: int, timeout_seconds: float, memory_mb: int, max_stream_mb: int | None = None
) -> LoadedDocument:
    """``pdf.load_pdf`` in the worker; a PDF over the time or memory limit, or one that crashes it, fails."""
    limits = PdfLimits(
        timeout_seconds=timeout_seconds,
        memory_mb=memory_mb,
        max_stream_mb=DEFAULT_PDF_STREAM_MB if max_stream_mb is None else max_stream_mb,
    )
    return run_isolated(load_pdf_document, data, LoadOptions(max_pages=max_pages, pdf_limits=limits), "PDF")
