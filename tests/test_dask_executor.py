"""Ingestion on a Dask cluster: a real scheduler and two workers started on loopback as separate processes.

The same chunks as the local executor; a worker killed mid-run costs nothing; a driver killed mid-run is
completed by the next run; and nothing but loopback is reached, by the driver or by the workers Enclave starts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.components import build_batch_ingestion
from rag.errors import ConfigurationError
from rag.settings import load_settings
from rag.types import IngestExecutor

from .conftest import make_pipeline
from .test_faults import _statuses, note_files, notes_folder

distributed = pytest.importorskip("distributed")


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    # A session of its own: killing the group takes a worker's nanny with it, so the worker is gone for good.
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    with log.open("ab") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=output, start_new_session=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``dask scheduler --host 127.0.0.1`` and two ``dask worker --nworkers 1 --nthreads 1``, stopped at the end."""
    root = tmp_path_factory.mktemp("dask")
    scheduler_file = root / "scheduler.json"
    common = ["--scheduler-file", str(scheduler_file), "--no-dashboard"]
    scheduler = _start(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", *common],
        root / "scheduler.log",
    )
    deadline = time.monotonic() + 60
    while not scheduler_file.exists():
        assert time.monotonic() < deadline and scheduler.poll() is None, (root / "scheduler.log").read_text()
        time.sleep(0.1)
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", "--nworkers", "1", "--nthreads", "1"]
    workers = [
        _start([*worker, "--host", "127.0.0.1", "--name", f"w{i}", *common], root / f"worker{i}.log") for i in (0, 1)
    ]
    address = json.loads(scheduler_file.read_text())["address"]
    client = distributed.Client(address, timeout="60s", set_as_default=False)
    client.wait_for_workers(2, timeout=120)
    try:
        yield {"address": address, "client": client, "workers": workers, "root": root}
    finally:
        client.close()
        for process in [*workers, scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*workers, scheduler]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _ingest_on_cluster(cluster: dict[str, Any], data_dir: Path, docs: Path, on_file: Any, **overrides: Any) -> Any:
    settings = load_settings(
        data_dir=data_dir, ingest_executor=IngestExecutor.DASK, dask_scheduler=cluster["address"], **overrides
    )
    batch = build_batch_ingestion(settings)
    try:
        return batch.pipeline.ingest_paths([docs], "default", on_file=on_file)
    finally:
        batch.close()


def test_the_cluster_prepares_what_the_local_executor_prepares(
    cluster: dict[str, Any], ingested_sample: dict[str, Any], tmp_path: Path
) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data", ingest_executor=IngestExecutor.DASK, dask_scheduler=cluster["address"]
    )
    batch = build_batch_ingestion(settings)
    try:
        assert batch.worker_count == 2
        report = batch.pipeline.ingest_paths([ingested_sample["docs"]], "default")
    finally:
        batch.close()
    local = ingested_sample["pipeline"].store
    here = batch.pipeline.store
    expected = {hit.chunk_id: hit.text for hit in local.get_chunks("default")}
    got = {hit.chunk_id: hit.text for hit in here.get_chunks("default")}
    assert report.count("failed") == ingested_sample["report"].count("failed")
    assert got == expected and len(got) > 20
    vectors, again = here.embeddings("default", list(got)), local.embeddings("default", list(got))
    assert all(float(vectors[chunk_id] @ again[chunk_id]) > 0.999 for chunk_id in got)


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory, redactor: Any, embedder: Any) -> tuple[Path, list[str]]:
    """Twelve notes, and the chunk ids of a run in this process that nothing interrupts."""
    root = tmp_path_factory.mktemp("dask-notes")
    docs = notes_folder(root, 12)
    pipeline = make_pipeline(root / "clean", redactor, embedder)
    assert pipeline.ingest_paths([docs], "default").count("new") == 12
    return docs, sorted(pipeline.store.chunk_ids("default"))


def _consistent_like_a_clean_run(data_dir: Path, clean_ids: list[str]) -> None:
    """`enclave check`, as the command, agrees; and the chunk ids are those of a clean run, each once."""
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(data_dir)}
    check = subprocess.run(
        [sys.executable, "-m", "api.cli", "check", "--json"], env=env, capture_output=True, text=True, timeout=180
    )
    assert check.returncode == 0, check.stdout + check.stderr
    report = json.loads(check.stdout)["report"]
    assert report["consistent"] and report["done"] == 12 and report["vectors"] == len(clean_ids), report
    from rag.components import open_store

    assert sorted(open_store(load_settings(data_dir=data_dir)).chunk_ids("default")) == clean_ids


def test_a_driver_killed_mid_run_is_completed_by_the_next_run(
    cluster: dict[str, Any], notes: tuple[Path, list[str]], tmp_path: Path
) -> None:
    docs, clean_ids = notes
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "ENCLAVE_DATA_DIR": str(data_dir),
        "ENCLAVE_DASK_SCHEDULER": cluster["address"],
        "ENCLAVE_INGEST_GROUP_DOCUMENTS": "2",
        # Anything but loopback refused, and the run's exit status 75 if anything was tried.
        "ENCLAVE_EGRESS_GUARD": "strict",
    }
    command = [sys.executable, "-m", "api.cli", "ingest", str(docs), "--executor", "dask", "--json"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ledger = data_dir / "ledger.sqlite3"
    deadline = time.monotonic() + 300
    while _statuses(ledger).get("done", 0) < 2:
        assert first.poll() is None, "the run finished before its kill point"
        assert time.monotonic() < deadline, "kill point not reached"
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert _statuses(ledger).get("done", 0) < len(note_files(docs))
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    files = json.loads(rerun.stdout)["files"]
    assert files["failed"] == 0 and files["new"] + files["changed"] >= 1
    assert files["new"] + files["changed"] + files["skipped"] == 12
    _consistent_like_a_clean_run(data_dir, clean_ids)


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    cluster: dict[str, Any], notes: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """Last in the module: the cluster is down a worker afterwards."""
    docs, clean_ids = notes
    client = cluster["client"]
    killed: list[str] = []

    def kill_a_busy_worker(_outcome: Any) -> None:
        if killed:
            return
        busy = [address for address, keys in client.processing().items() if keys]
        if not busy:  # every batch out is prepared already: wait for the next outcome
            return
        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
        os.killpg(os.getpgid(pid), signal.SIGKILL)  # the worker and its nanny: it does not come back
        killed.append(busy[0])

    data_dir = tmp_path / "data"
    report = _ingest_on_cluster(cluster, data_dir, docs, kill_a_busy_worker, ingest_group_documents=1)
    assert killed, "no batch was ever in flight to lose"
    assert killed[0] not in client.scheduler_info(n_workers=-1)["workers"]
    assert report.count("new") == 12 and report.count("failed") == 0
    assert len({outcome.source for outcome in report.outcomes}) == len(report.outcomes) == 12
    _consistent_like_a_clean_run(data_dir, clean_ids)


def _http_host(dask_scheduler: Any) -> str:
    host: str = dask_scheduler.http_server.address
    return host


def _look_up(host: str) -> object:
    # Runs in a Dask worker, where this test session's socket patch is absent: only Enclave's guard stands there.
    return socket.getaddrinfo(host, 443)


def test_a_cluster_started_for_the_run_stays_on_loopback_and_its_workers_refuse_egress(
    base_settings: Any, tmp_path: Path
) -> None:
    from ingest.executors.dask_executor import DaskExecutor

    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    executor = DaskExecutor(settings, workers=1)
    try:
        client = executor.client
        addresses = [client.scheduler.address, *client.scheduler_info(n_workers=-1)["workers"]]
        assert all(address.startswith("tcp://127.0.0.1:") for address in addresses), addresses
        # No dashboard: the scheduler's HTTP server, on loopback, answers health checks and shows nothing else.
        port = client.scheduler_info(n_workers=-1)["services"]["dashboard"]
        assert client.run_on_scheduler(_http_host) == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as health:
            assert health.read() == b"ok"
        for page in ("/status", "/info/main/workers.html", "/metrics"):
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=10)
        lookup = client.submit(_look_up, "example.com", pure=False)
        with pytest.raises(Exception, match="refuses outbound network access"):
            lookup.result(timeout=120)
    finally:
        executor.close()


def test_without_distributed_the_dask_executor_says_how_to_install_it(
    base_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.executors.dask_executor import DaskExecutor

    monkeypatch.setitem(sys.modules, "distributed", None)  # an import of it now fails as if not installed
    with pytest.raises(ConfigurationError, match=r"enclave\[dask\]"):
        DaskExecutor(base_settings, workers=1)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the probe is closed
    env = {
        **os.environ,
        "ENCLAVE_DATA_DIR": str(tmp_path / "data"),
        "ENCLAVE_DASK_SCHEDULER": f"tcp://127.0.0.1:{port}",
        "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s",
    }
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("A short note about parking.", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", str(docs), "--executor", "dask"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot reach the Dask scheduler" in done.stdout + done.stderr
