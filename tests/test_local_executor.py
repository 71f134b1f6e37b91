"""The local executor: worker processes that prepare what this process would, survive a worker's death, and
stop the run before anything is read when they cannot load their models."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.check import check_consistency
from ingest.components import BatchIngestion, build_batch_ingestion
from ingest.executors import LocalExecutor
from rag.errors import ExecutorError
from rag.settings import Settings, load_settings
from rag.types import FileToPrepare

from .conftest import SAMPLE_DOCS, make_pipeline
from .test_faults import notes_folder
from .test_redaction_pool import _alive


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = notes_folder(tmp_path_factory.mktemp("local-executor"), 10)
    for name in ("hr-policy.pdf", "politique-teletravail.pdf"):
        shutil.copy(SAMPLE_DOCS / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def expected(docs: Path, tmp_path_factory: pytest.TempPathFactory, redactor: Any, embedder: Any) -> Any:
    """The same folder prepared in this process."""
    pipeline = make_pipeline(tmp_path_factory.mktemp("in-process"), redactor, embedder, ingest_group_documents=3)
    assert pipeline.ingest_paths([docs], "default").count("new") == 12
    return pipeline


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=tmp_path_factory.mktemp("local"), ingest_workers=2, ingest_group_documents=3)


@pytest.fixture(scope="module")
def batch(settings: Settings) -> Iterator[BatchIngestion]:
    built = build_batch_ingestion(settings)
    yield built
    built.close()


def _chunks(pipeline: Any) -> dict[str, str]:
    return {hit.chunk_id: hit.text for hit in pipeline.store.get_chunks("default")}


def test_two_workers_store_what_one_process_stores(batch: BatchIngestion, docs: Path, expected: Any) -> None:
    assert isinstance(batch.executor, LocalExecutor) and batch.worker_count == 2
    report = batch.pipeline.ingest_paths([docs], "default")
    assert report.count("new") == 12 and report.workers == 2 and report.worker_seconds > 0
    got, want = _chunks(batch.pipeline), _chunks(expected)
    assert got == want and len(got) > 12
    vectors, again = (
        batch.pipeline.store.embeddings("default", list(got)),
        expected.store.embeddings("default", list(got)),
    )
    assert all(float(vectors[chunk_id] @ again[chunk_id]) > 0.999 for chunk_id in got)
    assert {o.source: o.redactions for o in report.outcomes} == {
        o.source: o.redactions for o in expected.ingest_paths([docs], "other").outcomes
    }


def test_a_worker_killed_mid_run_is_replaced_and_nothing_is_lost(
    batch: BatchIngestion, settings: Settings, docs: Path, expected: Any
) -> None:
    executor = batch.executor
    assert isinstance(executor, LocalExecutor)
    killed: list[int] = []

    def kill_a_worker(_outcome: Any) -> None:
        if not killed:
            pid = min(executor.worker_pids)
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    report = batch.pipeline.ingest_paths([docs], "again", on_file=kill_a_worker)
    assert killed and not _alive(killed[0])
    assert report.count("new") == 12 and report.count("failed") == 0
    assert len({o.source for o in report.outcomes}) == 12
    assert sorted(batch.pipeline.store.chunk_ids("again")) == sorted(expected.store.chunk_ids("default"))
    check = check_consistency(batch.pipeline.ledger, batch.pipeline.store, settings.lexical_path, "again")
    assert check.consistent


def test_workers_that_cannot_load_their_models_stop_the_run_before_it_starts(base_settings: Settings) -> None:
    broken = base_settings.model_copy(update={"spacy_models": {"en": "en_no_such_model"}})
    with pytest.raises(ExecutorError, match="could not load their models"):
        LocalExecutor(broken, workers=1)


def test_a_worker_killed_while_idle_costs_nothing(settings: Settings) -> None:
    """Pebble gives up on a pool whose worker died with no batch running: the next batch goes to a new pool."""
    executor = LocalExecutor(settings, workers=1)
    try:
        (pid,) = executor.worker_pids
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)
        time.sleep(0.5)  # Pebble's manager notices within a tenth of a second
        note = FileToPrepare("/notes", "note.txt", b"Call Margarethe Quist about the audit on Tuesday.")
        ((index, prepared),) = list(executor.prepare([[note]]))
        (document,) = prepared.files[0]
        assert index == 0 and document.failure is None and document.chunks
        assert "Margarethe" not in document.chunks[0].text
        assert executor.worker_pids and pid not in executor.worker_pids
    finally:
        executor.close()
