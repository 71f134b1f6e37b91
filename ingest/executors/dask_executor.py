"""The Dask executor: the prepare step as tasks on a Dask distributed cluster, the writer staying here.

Each task prepares one batch of files on a worker, which loads the models the first time (``worker.py``) and
keeps them. Results are taken as they complete and stored by the one writer of the ingesting process; only
``IN_FLIGHT_PER_THREAD`` batches per worker thread are out at a time, so the driver never holds more
(``bounded.py``, shared with the local executor). A task whose worker dies is run again elsewhere by Dask
(``retries``, and the scheduler's own reassignment).

Raw text travels to the workers: the cluster must be inside the same trust boundary as the data, its
scheduler reached over TLS (README, "Ingestion on a cluster"). Without an address, a cluster is started on
loopback for the run, with no dashboard, and its workers raise the egress guard like any Enclave process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlparse

from ingest.executors.bounded import prepare_bounded
from ingest.executors.worker import load_models, prepare_batch
from rag.egress import installed_guard
from rag.errors import ConfigurationError, ExecutorError
from rag.settings import Settings
from rag.types import FileToPrepare, PreparedBatch

IN_FLIGHT_PER_THREAD = 2
RETRIES = 2
HEALTH_ROUTES = "distributed.http.health"


class DaskExecutor:
    """Connects to ``settings.dask_scheduler`` (or starts ``workers`` workers on loopback) and has every worker
    load its models before the run starts."""

    def __init__(self, settings: Settings, workers: int) -> None:
        try:
            import dask.config  # deferred: an optional extra, enclave[dask]

            # Before distributed's import, which sets its logging up: a run's progress is Enclave's to report.
            dask.config.set({"logging.distributed": "warning"})
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigurationError(
                "the dask executor needs Dask distributed: pip install 'enclave[dask]'", cause=str(exc)
            ) from exc
        self._settings = settings
        self._cluster: Any = None
        self.workers = 0  # worker threads of the cluster, as the scheduler last listed them
        try:
            if settings.dask_scheduler:
                # How long to try: Dask's distributed.comm.timeouts.connect (30 s unless configured).
                self.client = Client(settings.dask_scheduler, set_as_default=False)
            else:
                # Workers that may start processes: each file is parsed in a child one (ingest/loading/isolated.py).
                # The scheduler's HTTP server (on loopback, as everything) answers health checks and nothing else.
                # No statistical profiler: nothing shows its profiles, and sampling the deep Python stacks of
                # spaCy and Presidio every 10 ms made redaction about a fifth slower (docs/benchmarks.md).
                local = {
                    "distributed.worker.daemon": False,
                    "distributed.worker.profile.enabled": False,
                    "distributed.scheduler.http.routes": [HEALTH_ROUTES],
                }
                with dask.config.set(local):
                    self._cluster = LocalCluster(
                        host="127.0.0.1",
                        dashboard_address=None,
                        # That HTTP server on a free port of loopback, not 8787 of the machine's address.
                        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                    )
                self.client = Client(self._cluster, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = settings.dask_scheduler or "a cluster on loopback"
            raise ExecutorError(f"cannot reach the Dask scheduler at {where}", cause=str(exc)) from exc
        # concurrent.futures futures of Dask tasks, which Dask runs again elsewhere if their worker dies.
        self._tasks = self.client.get_executor(retries=RETRIES, pure=False)
        addresses = self._allow_workers()
        try:  # every worker loads its models now, side by side (a worker that joins later does at its first task)
            loading = [
                self.client.submit(load_models, settings, self._cluster is not None, workers=[address], pure=False)
                for address in addresses
            ]
            self.client.gather(loading)
        except ConfigurationError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise ExecutorError("the Dask workers could not load Enclave's models", cause=repr(exc)) from exc

    def prepare(self, batches: Iterable[Sequence[FileToPrepare]]) -> Iterator[tuple[int, PreparedBatch]]:
        prepared = prepare_bounded(
            self._submit,
            batches,
            IN_FLIGHT_PER_THREAD * max(1, self.workers),
            "the Dask cluster could not prepare a batch; run again to complete it",
        )
        for index, batch in prepared:
            self._allow_workers()
            yield index, batch

    def _submit(self, batch: list[FileToPrepare]) -> Future[PreparedBatch]:
        # Workers Enclave started raise the egress guard; an existing cluster's are its operators' to guard.
        return self._tasks.submit(prepare_batch, self._settings, batch, self._cluster is not None)

    def close(self) -> None:
        for closable in (getattr(self, "client", None), self._cluster):
            if closable is not None:
                closable.close()

    def _allow_workers(self) -> list[str]:
        """The scheduler's workers now, whom this process's egress guard may reach (results may come from them
        directly); ``workers`` counts their threads."""
        listed = self.client.scheduler_info(n_workers=-1).get("workers", {})
        self.workers = sum(int(worker.get("nthreads", 1)) for worker in listed.values())
        guard = installed_guard()
        if guard is not None:
            guard.allow(urlparse(address).hostname or "" for address in listed)
        return list(listed)
