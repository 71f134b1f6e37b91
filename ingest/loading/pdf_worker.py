"""PDF parsing in a worker process with a time limit and a memory cap.

A hostile or broken PDF (a decompression bomb, deeply nested objects, a page tree that loops) can
make pypdf run for ever or eat all memory. Parsing happens in a separate process (pebble's pool, one
worker, spawned, with an address-space limit); a PDF that takes too long gets its worker killed and
is reported as failed, and the next PDF gets a fresh worker.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import resource
import threading
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from ingest.loading.loader import DEFAULT_PDF_STREAM_MB, LoadOptions
from ingest.loading.pdf import load_pdf
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


def load_pdf_isolated(
    data: bytes, max_pages: int, timeout_seconds: float, memory_mb: int, max_stream_mb: int | None = None
) -> LoadedDocument:
    """``pdf.load_pdf`` in the worker; a PDF over the time or memory limit, or one that crashes it, fails."""
    stream_mb = DEFAULT_PDF_STREAM_MB if max_stream_mb is None else max_stream_mb
    with _lock:
        future = _get_pool(memory_mb).schedule(load_pdf, args=(data, max_pages, stream_mb), timeout=timeout_seconds)
        try:
            return future.result()
        except FutureTimeout as exc:
            raise UnsupportedDocumentError(f"PDF parsing took longer than the limit of {timeout_seconds:g} s") from exc
        except MemoryError as exc:
            raise UnsupportedDocumentError(f"PDF parsing needed more than the limit of {memory_mb} MiB") from exc
        except ProcessExpired as exc:
            raise UnsupportedDocumentError(f"the PDF parser crashed (exit code {exc.exitcode})") from exc


def load_pdf_within_limits(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """The registry's PDF loader: in the isolated worker, or in this process if the limits say so."""
    limits = options.pdf_limits
    if not limits.isolated:
        return load_pdf(data, options.max_pages, limits.max_stream_mb)
    return load_pdf_isolated(data, options.max_pages, limits.timeout_seconds, limits.memory_mb, limits.max_stream_mb)
