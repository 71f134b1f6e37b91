"""The Dask executor: the prepare step as tasks on a Dask distributed cluster, the writer staying here.

Each task prepares one batch of files on a worker, which loads the models the first time (``worker.py``) and
keeps them. Results are taken as they complete and stored by the one writer of the ingesting process; only
``IN_FLIGHT_PER_THREAD`` batches per worker thread are out at a time, so the driver never holds more. A task
whose worker dies is run again elsewhere by Dask (``retries``, and the scheduler's own reassignment).

Raw text travels to the workers: the cluster must be inside the same trust boundary as the data, its
scheduler reached over TLS (README, "Ingestion on a cluster"). Without an address, a cluster is started on
loopback for the run, with no dashboard, and its workers raise the egress guard like any Enclave process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any
from urllib.parse import urlparse

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
        from distributed import as_completed  # deferred: an optional extra

        waiting = enumerate(batches)
        # Workers Enclave started raise the egress guard; an existing cluster's are its operators' to guard.
        guard = self._cluster is not None
        sources: dict[Any, tuple[int, str]] = {}  # task key -> (batch index, its files)

        def submit(index: int, batch: Sequence[FileToPrepare]) -> Any:
            future = self.client.submit(prepare_batch, self._settings, list(batch), guard, retries=RETRIES, pure=False)
            sources[future.key] = (index, ", ".join(file.source for file in batch))
            return future

        limit = IN_FLIGHT_PER_THREAD * max(1, self.workers)
        completed = as_completed(
            [submit(index, batch) for index, batch in islice(waiting, limit)], loop=self.client.loop
        )
        for future in completed:
            index, names = sources.pop(future.key)
            try:
                prepared: PreparedBatch = future.result()
            except Exception as exc:  # the cluster's failure, not a file's: each file's own errors come back as reasons
                raise ExecutorError(
                    "the Dask cluster could not prepare a batch; run again to complete it", cause=f"{names}: {exc!r}"
                ) from exc
            future.release()
            self._allow_workers()
            yield index, prepared
            for index, batch in islice(waiting, 1):
                completed.add(submit(index, batch))

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
