"""Faults during a batch job: kill -9 at several points, a full disk, the Chroma server going away.

After each, the next run completes the job, with the same chunks as a clean run, no duplicates, and
`enclave check` finds the ledger, the vector store and the lexical index in agreement.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from ingest.check import check_consistency
from ingest.components import build_pipeline
from rag.components import open_store
from rag.errors import StoreError
from rag.settings import load_settings
from rag.types import Chunk

from .conftest import make_pipeline
from .test_chroma_server import chroma_server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def notes_folder(root: Path, count: int) -> Path:
    docs = root / "notes"
    docs.mkdir(parents=True)
    for i in range(count):
        sentence = f"Note {i}. Maintenance window {i} starts at {i % 24:02d}:00 and lasts {i + 10} minutes. "
        (docs / f"note-{i:02d}.txt").write_text(sentence * 8, encoding="utf-8")
    return docs


def _statuses(ledger: Path) -> dict[str, int]:
    if not ledger.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1) as db:
            return dict(db.execute("SELECT status, count(*) FROM documents GROUP BY status").fetchall())
    except sqlite3.OperationalError:  # created but no table yet, or locked for a moment
        return {}


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "ENCLAVE_DATA_DIR": str(data_dir)}


def _start_ingest(docs: Path, data_dir: Path) -> subprocess.Popen[bytes]:
    # Groups of 4 documents (redacted, embedded and stored together): kills land in different groups
    # and stages rather than all in the first group of 16.
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "ingest", str(docs)],
        env={**_env(data_dir), "ENCLAVE_INGEST_GROUP_DOCUMENTS": "4"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, "the run finished before its kill point"
        assert time.monotonic() < deadline, "kill point not reached"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _kill_mid_write(process: subprocess.Popen[bytes], ledger: Path, timeout: float = 240) -> None:
    """SIGKILL while a group's documents are ``pending``: old chunks deleted, new ones being written.

    The process is frozen (SIGSTOP) as soon as a pending row shows, and killed only if the row is
    still pending once it is frozen; otherwise it resumes and the next document is tried.
    """
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "the run finished before a pending document was caught"
        assert time.monotonic() < deadline, "no pending document caught"
        if _statuses(ledger).get("pending"):
            process.send_signal(signal.SIGSTOP)
            if _statuses(ledger).get("pending"):
                process.send_signal(signal.SIGKILL)
                process.wait()
                return
            process.send_signal(signal.SIGCONT)
        time.sleep(0.001)


def _complete_and_verify(docs: Path, data_dir: Path, clean_ids: list[str]) -> None:
    """The next run, then `enclave check`, both as the real command."""
    rerun = subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", str(docs), "--json"],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    files = json.loads(rerun.stdout)["files"]
    assert files["failed"] == 0 and files["new"] + files["changed"] + files["skipped"] == len(note_files(docs))
    check = subprocess.run(
        [sys.executable, "-m", "api.cli", "check", "--json"],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    _assert_like_a_clean_run(json.loads(check.stdout)["report"], data_dir, docs, clean_ids)


def _complete_in_process(docs: Path, data_dir: Path, clean_ids: list[str], redactor: Any, embedder: Any) -> None:
    """The next run in this process (saves a model load), then the same check."""
    pipeline = make_pipeline(data_dir, redactor, embedder)
    rerun = pipeline.ingest_paths([docs], "default")
    assert rerun.count("failed") == 0 and rerun.count("changed") >= 1  # the pending one is redone
    report = check_consistency(pipeline.ledger, pipeline.store, data_dir / "lexical.sqlite3")
    _assert_like_a_clean_run(report.to_dict(), data_dir, docs, clean_ids)


def _assert_like_a_clean_run(report: dict[str, Any], data_dir: Path, docs: Path, clean_ids: list[str]) -> None:
    assert report["consistent"] and report["done"] == len(note_files(docs)), report
    # Chroma and the lexical index key rows by chunk id, so a duplicate would show as a count the
    # ledger does not account for; the ids themselves are those of a clean run.
    assert report["vectors"] == report["lexical_rows"] == len(clean_ids)
    store = open_store(load_settings(data_dir=data_dir))
    assert sorted(store.chunk_ids("default")) == clean_ids


def note_files(docs: Path) -> list[Path]:
    return sorted(docs.glob("*.txt"))


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory, redactor: Any, embedder: Any) -> tuple[Path, list[str]]:
    """Six notes, and the chunk ids a run that nothing interrupts writes for them (ids depend on path
    and content, so every test of the module compares against this one clean run)."""
    root = tmp_path_factory.mktemp("faults")
    docs = notes_folder(root, 6)
    pipeline = make_pipeline(root / "clean", redactor, embedder)
    assert pipeline.ingest_paths([docs], "default").count("new") == 6
    return docs, sorted(pipeline.store.chunk_ids("default"))


def _kill_at(docs: Path, data_dir: Path, kill_points: Sequence[str]) -> None:
    ledger = data_dir / "ledger.sqlite3"
    for point in kill_points:
        before = _statuses(ledger)
        process = _start_ingest(docs, data_dir)
        if point == "mid-write":
            _kill_mid_write(process, ledger)
        elif point == "loading":
            time.sleep(random.uniform(1.0, 4.0))  # models still loading: nothing written yet
            assert process.poll() is None
            process.send_signal(signal.SIGKILL)
            process.wait()
        elif point.startswith("done+"):
            target = before.get("done", 0) + int(point.removeprefix("done+"))
            _kill_when(process, lambda target=target: _statuses(ledger).get("done", 0) >= target)  # type: ignore[misc]
        else:
            raise AssertionError(point)
        assert process.returncode == -signal.SIGKILL


def test_killed_mid_write_the_next_run_completes_with_a_clean_runs_chunks(
    tmp_path: Path, redactor: Any, embedder: Any, notes: tuple[Path, list[str]]
) -> None:
    docs, clean_ids = notes
    data_dir = tmp_path / "killed"
    _kill_at(docs, data_dir, ["mid-write"])
    statuses = _statuses(data_dir / "ledger.sqlite3")
    # A group of four is written at once: its documents are pending together (the last group holds two).
    assert statuses.get("pending") in (2, 4) and statuses.get("done", 0) + statuses["pending"] <= 6
    _complete_in_process(docs, data_dir, clean_ids, redactor, embedder)


@pytest.mark.parametrize(
    ("notes_count", "kill_points"),
    [
        # CI (issue 34 item 18): one kill while the models load, one between groups, then completion.
        (8, ["loading", "done+1"]),
        pytest.param(24, ["loading", "done+2", "mid-write", "done+1", "mid-write"], marks=pytest.mark.slow),
    ],
    ids=["ci", "full"],
)
def test_kill_point_loop(
    tmp_path: Path, redactor: Any, embedder: Any, notes_count: int, kill_points: list[str]
) -> None:
    """Several kills in a row on one data dir, each landing at a different stage, then completion."""
    docs = notes_folder(tmp_path, notes_count)
    clean = make_pipeline(tmp_path / "clean", redactor, embedder)
    clean.ingest_paths([docs], "default")
    clean_ids = sorted(clean.store.chunk_ids("default"))
    data_dir = tmp_path / "killed"
    _kill_at(docs, data_dir, kill_points)
    _complete_and_verify(docs, data_dir, clean_ids)


# -- a full disk ------------------------------------------------------------------------------


class FullDiskStore:
    """A real store whose writes fail with ENOSPC after ``writes`` successful upserts."""

    def __init__(self, inner: Any, writes: int) -> None:
        self._inner = inner
        self._left = writes

    def upsert(self, collection: str, chunks: Sequence[Chunk], embeddings: npt.NDArray[np.float32]) -> None:
        if self._left <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._left -= 1
        self._inner.upsert(collection, chunks, embeddings)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_enospc_at_the_store_write_stops_the_run_and_the_next_run_completes(
    tmp_path: Path, redactor: Any, embedder: Any, notes: tuple[Path, list[str]]
) -> None:
    docs, clean_ids = notes
    # One document per group, so that each store write is one document's and the failure falls between two.
    settings = load_settings(data_dir=tmp_path / "full", ingest_group_documents=1)
    store = open_store(settings)
    failing = build_pipeline(settings, redactor=redactor, embedder=embedder, store=FullDiskStore(store, writes=3))
    with pytest.raises(StoreError) as failure:
        failing.ingest_paths([docs], "default")
    # One line for the operator, the OS's own words as its cause (the terminal shows both, a response only the
    # first); the OSError stays attached as the exception's cause.
    assert failure.value.cause == "No space left on device" and "\n" not in str(failure.value)
    assert isinstance(failure.value.__cause__, OSError) and failure.value.__cause__.errno == errno.ENOSPC
    assert _statuses(settings.ledger_path) == {"done": 3, "pending": 1}
    report = check_consistency(failing.ledger, store, settings.lexical_path)
    assert report.consistent_but_queued and [p.source for p in report.queued] == ["note-03.txt"]

    pipeline = make_pipeline(settings.data_dir, redactor, embedder)
    rerun = pipeline.ingest_paths([docs], "default")
    assert (rerun.count("skipped"), rerun.count("changed"), rerun.count("new")) == (3, 1, 2)
    assert sorted(pipeline.store.chunk_ids("default")) == clean_ids
    assert check_consistency(pipeline.ledger, pipeline.store, settings.lexical_path).consistent


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """A tmpfs of 480 KiB mounted on tmp_path/fs (root only); yields a function that resizes it."""
    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=480k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here: {mounted.stderr.strip()}")
    try:
        yield lambda size: subprocess.run(["mount", "-o", f"remount,size={size}", str(mount_point)], check=True)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_really_full_disk_stops_the_run_and_the_next_run_completes(
    tmp_path: Path,
    redactor: Any,
    embedder: Any,
    notes: tuple[Path, list[str]],
    small_filesystem: Callable[[str], None],
) -> None:
    docs, clean_ids = notes
    data_dir = tmp_path / "fs" / "data"
    pipeline = make_pipeline(data_dir, redactor, embedder)
    with pytest.raises(StoreError) as failure:  # SQLite or Chroma, whichever writes when the space runs out
        pipeline.ingest_paths([docs], "default")
    assert "full" in str(failure.value) or "No space left" in str(failure.value), str(failure.value)
    assert _statuses(data_dir / "ledger.sqlite3").get("done", 0) < len(note_files(docs))

    small_filesystem("64m")  # space freed
    again = make_pipeline(data_dir, redactor, embedder)
    rerun = again.ingest_paths([docs], "default")
    assert rerun.count("failed") == 0
    assert sorted(again.store.chunk_ids("default")) == clean_ids
    report = check_consistency(again.ledger, again.store, data_dir / "lexical.sqlite3")
    assert report.consistent, report.to_dict()


# -- the Chroma server goes away --------------------------------------------------------------


def test_chroma_server_stopped_mid_run_is_a_store_error_and_the_next_run_completes(
    tmp_path: Path, redactor: Any, embedder: Any, notes: tuple[Path, list[str]]
) -> None:
    docs, clean_ids = notes
    db = tmp_path / "chroma-server" / "db"
    data_dir = tmp_path / "data"
    with ExitStack() as server:
        url = server.enter_context(chroma_server(db))
        # Groups of one: each document is stored before the next is read, so the callback lands
        # between two writes to the store.
        pipeline = make_pipeline(data_dir, redactor, embedder, chroma_url=url, ingest_group_documents=1)
        done: list[str] = []

        def stop_after_two(outcome: Any) -> None:
            done.append(outcome.source)
            if len(done) == 2:
                server.close()  # terminates `chroma run`

        with pytest.raises(StoreError) as failure:
            pipeline.ingest_paths([docs], "default", on_file=stop_after_two)
    assert "cannot" in failure.value.detail or "not reachable" in failure.value.detail
    assert done == ["note-00.txt", "note-01.txt"]

    with chroma_server(db) as url:  # back, on another port, with the same files
        again = make_pipeline(data_dir, redactor, embedder, chroma_url=url)
        rerun = again.ingest_paths([docs], "default")
        assert rerun.count("skipped") == 2 and rerun.count("failed") == 0
        assert sorted(again.store.chunk_ids("default")) == clean_ids
        report = check_consistency(again.ledger, again.store, data_dir / "lexical.sqlite3")
        assert report.consistent, report.to_dict()
