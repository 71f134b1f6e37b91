"""Who may write a data dir.

Chroma's embedded store (``PersistentClient``) is built for one process: two processes writing it corrupt its
indexes. Two locks keep to that:

- the writer lock (``store_write_lock``), taken around each write, serializes the writers of a data dir,
  whether the store is embedded or a Chroma server;
- the embedded store's owner lock (``embedded_store_owner``), held for as long as a process has the embedded
  store open to write: a server for its whole life, ``enclave ingest``, ``forget`` and ``check --repair`` for
  their run. With a Chroma server (``ENCLAVE_CHROMA_URL``) it is not taken: the server is built for several
  clients, and the writer lock is enough.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rag.errors import StoreBusyError
from rag.settings import Settings

# In the data dir, beside the writer lock (Settings.lock_path).
EMBEDDED_STORE_OWNER_FILE = "embedded-store.lock"


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


def embedded_store_owner_path(settings: Settings) -> Path:
    return settings.data_dir.resolve() / EMBEDDED_STORE_OWNER_FILE


class EmbeddedStoreOwner:
    """The embedded store's owner lock for one holder (a server's services, a CLI run); a no-op with a Chroma
    server.

    The lock is between processes. Within one process every holder of a data dir shares it (acquiring it is
    counted, and the file lock is let go with the last release): one process's clients of a path share one
    Chroma instance, which is safe, and a process must not lock itself out (tests serve several apps over
    one data dir). ``acquire`` and ``release`` may each be called more than once; only the first counts.
    """

    def __init__(self, settings: Settings) -> None:
        self.path = embedded_store_owner_path(settings)
        self._timeout = settings.lock_timeout_seconds
        # One instance per path in this process, counting acquisitions from any thread.
        self._lock = None if settings.chroma_url else FileLock(str(self.path), thread_local=False, is_singleton=True)
        self._guard = threading.Lock()
        self._held = False

    @property
    def needed(self) -> bool:
        """False with a Chroma server: then nothing is locked."""
        return self._lock is not None

    def acquire(self) -> None:
        """Take the lock, waiting up to ENCLAVE_LOCK_TIMEOUT_SECONDS; StoreBusyError if another process keeps it."""
        with self._guard:
            if self._lock is None or self._held:
                return
            try:
                self._lock.acquire(timeout=self._timeout)
            except Timeout as exc:
                raise StoreBusyError(
                    f"another Enclave process has the embedded vector store of {self.path.parent} open (a server, "
                    f"or an ingest, forget or check --repair; lock {self.path} held for more than "
                    f"{self._timeout:.0f} s): while `enclave serve` runs, add or delete documents through its API "
                    "(POST /v1/documents, DELETE /v1/documents/{id}), or run Chroma as a server "
                    "(ENCLAVE_CHROMA_URL) so that the server and the CLI can both write"
                ) from exc
            self._held = True

    def release(self) -> None:
        with self._guard:
            if self._lock is not None and self._held:
                self._held = False
                self._lock.release()


@contextmanager
def embedded_store_owner(settings: Settings) -> Iterator[EmbeddedStoreOwner]:
    """Own the data dir's embedded store for the block (nothing is locked with a Chroma server)."""
    owner = EmbeddedStoreOwner(settings)
    owner.acquire()
    try:
        yield owner
    finally:
        owner.release()
