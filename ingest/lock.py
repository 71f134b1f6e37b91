"""One writer at a time: Chroma's embedded store corrupts its indexes under two writing processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rag.errors import StoreBusyError


@contextmanager
def store_write_lock(lock_path: Path, timeout: float) -> Iterator[None]:
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise StoreBusyError(
            f"another Enclave process is writing to this data dir (lock {lock_path} held for more than "
            f"{timeout:.0f} s); let it finish, or raise ENCLAVE_LOCK_TIMEOUT_SECONDS"
        ) from exc
    try:
        yield
    finally:
        lock.release()
