"""Ingestion workers: whole groups redacted in other processes while this one embeds, with the same result as
here; some groups prepared entirely by a worker when this process is the slower one, and some redacted here
when the workers are, also with the same result; a worker that dies costs nothing but time; ingestion with
workers stores what ingestion without stores."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.components import build_preparer
from ingest.preparation import DocumentWork, GroupPreparer, PreparedGroup, RedactedGroup, RedactionJob
from ingest.worker_pool import IngestWorkers, WorkSplit, _prepare_group
from rag.settings import Settings
from rag.types import Page

from .conftest import SAMPLE_DOCS, make_pipeline, small_folder


@pytest.fixture(scope="module")
def workers(base_settings: Settings) -> Iterator[IngestWorkers]:
    pool = IngestWorkers(base_settings, 1)
    pool.pool.wait_ready(timeout=180)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def preparer(base_settings: Settings, redactor: Any, embedder: Any) -> GroupPreparer:
    return build_preparer(base_settings, redactor, embedder)


def _works() -> list[DocumentWork]:
    texts = {
        "memo.txt": "Memo. Harriet Lindqvist approved the hotel cap of 180 EUR per night.\n\nCall +44 20 7946 0958.",
        "ticket.txt": "Ticket 1044. Daniel Okafor (daniel.okafor@example.com) was charged twice for March.",
        "empty.txt": "   ",  # nothing to index once redacted: fails alone
    }
    return [
        DocumentWork(
            document_id=f"doc{i}", content_hash=f"hash{i}", source=name, kind="text", pages=[Page(number=1, text=text)]
        )
        for i, (name, text) in enumerate(texts.items())
    ]


def _same(prepared: PreparedGroup, expected: PreparedGroup) -> None:
    assert [d.failure for d in prepared.documents] == [d.failure for d in expected.documents]
    for document, reference in zip(prepared.documents, expected.documents, strict=True):
        assert [(c.chunk_id, c.text, c.page) for c in document.chunks] == [
            (c.chunk_id, c.text, c.page) for c in reference.chunks
        ]
        assert document.redactions == reference.redactions
        if reference.embeddings is None:
            assert document.embeddings is None
            continue
        assert document.embeddings is not None
        assert (document.embeddings * reference.embeddings).sum(axis=1).min() > 0.9999


def test_a_group_redacted_by_a_worker_is_the_group_redacted_here(
    workers: IngestWorkers, preparer: GroupPreparer
) -> None:
    works = _works()
    job = workers.submit(works, preparer.redact)
    assert job.future is not None  # handed to the worker: the caller is free meanwhile
    redacted = job.result()
    assert not job.ran_here and redacted.seconds > 0
    prepared = preparer.finish(works, redacted)
    expected = preparer.prepare(works)
    _same(prepared, expected)
    memo, ticket, empty = prepared.documents
    assert "<PERSON_1>" in memo.chunks[0].text and "Lindqvist" not in memo.chunks[0].text
    assert ticket.redactions["EMAIL_ADDRESS"] == 1
    assert empty.failure == "no text to index after redaction" and empty.embeddings is None
    assert all(prepared.seconds[stage] > 0 for stage in ("redact", "chunk", "embed"))
    assert prepared.seconds["redact"] == redacted.seconds


def test_a_group_whose_worker_dies_is_redacted_here(workers: IngestWorkers, preparer: GroupPreparer) -> None:
    works = _works()
    job = workers.submit(works, preparer.redact)
    for process in workers.pool.processes():
        os.kill(process.pid, signal.SIGKILL)
    _same(preparer.finish(works, job.result()), preparer.prepare(works))
    assert job.ran_here
    # The next group starts a new worker and waits while it loads; once it is ready, the worker takes it.
    waiting = workers.submit(works, preparer.redact)
    assert waiting.future is None
    workers.pool.wait_ready(timeout=180)
    handed = workers.submit(works, preparer.redact)
    assert waiting.future is not None and handed.future is not None
    _same(preparer.finish(works, handed.result()), preparer.prepare(works))


def test_a_group_the_caller_needs_before_the_workers_are_ready_is_redacted_here(
    base_settings: Settings, preparer: GroupPreparer
) -> None:
    late = IngestWorkers(base_settings, 1)
    try:
        job = late.submit(_works(), preparer.redact)
        assert job.future is None
        redacted = job.result()  # asked for at once: done here rather than after a worker's start
        assert job.ran_here and job.started
        late.pool.wait_ready(timeout=180)
        late.submit(_works()[:1], preparer.redact)
        assert job.future is None  # begun here, so never handed to the worker as well
        _same(preparer.finish(_works(), redacted), preparer.prepare(_works()))
    finally:
        late.close()


def _pipelines(
    tmp_path: Path, workers: IngestWorkers, redactor: Any, embedder: Any, names: Sequence[str]
) -> tuple[Path, Any, Any]:
    """A folder of sample documents, and two pipelines over it: one with the workers, one alone. One document
    per group, so that several groups are in flight at once."""
    docs = small_folder(tmp_path)
    for name in names:
        shutil.copy(SAMPLE_DOCS / name, docs / name)
    workers.pool.wait_ready(timeout=180)
    with_workers = make_pipeline(tmp_path / "workers", redactor, embedder, workers, ingest_group_documents=1)
    alone = make_pipeline(tmp_path / "alone", redactor, embedder, ingest_group_documents=1)
    return docs, with_workers, alone


def _assert_stored_alike(report: Any, expected: Any, with_workers: Any, alone: Any) -> None:
    assert [(o.source, o.status, o.chunks, dict(o.redactions)) for o in report.outcomes] == [
        (o.source, o.status, o.chunks, dict(o.redactions)) for o in expected.outcomes
    ]
    stored = {hit.chunk_id: hit.text for hit in with_workers.store.get_chunks("c")}
    assert stored and stored == {hit.chunk_id: hit.text for hit in alone.store.get_chunks("c")}
    mine = with_workers.store.embeddings("c", list(stored))
    again = alone.store.embeddings("c", list(stored))
    assert min(float(np.dot(mine[i], again[i])) for i in stored) > 0.9999


def test_ingestion_with_workers_stores_what_ingestion_in_one_process_stores(
    tmp_path: Path, workers: IngestWorkers, redactor: Any, embedder: Any
) -> None:
    names = ("hr-policy.pdf", "politique-teletravail.pdf", "incident-report-2024-03.md", "ticket-1042.eml")
    docs, parallel, alone = _pipelines(tmp_path, workers, redactor, embedder, names)
    report = parallel.ingest_paths([docs], "c")
    expected = alone.ingest_paths([docs], "c")
    assert report.workers == 1 and expected.workers == 0
    assert report.worker_seconds > 0 and report.worker_wait_seconds <= report.elapsed_seconds
    _assert_stored_alike(report, expected, parallel, alone)


def test_groups_taken_back_while_waiting_are_stored_as_without_workers(
    tmp_path: Path, workers: IngestWorkers, redactor: Any, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, taking, alone = _pipelines(tmp_path, workers, redactor, embedder, ["incident-report-2024-03.md"])
    taken: list[RedactionJob] = []
    take_back = IngestWorkers.take_back

    def counted(self: IngestWorkers, job: RedactionJob) -> bool:
        done = take_back(self, job)
        if done:
            taken.append(job)
        return done

    with monkeypatch.context() as patch:
        patch.setattr(workers, "_handed_limit", 1)
        patch.setattr(workers, "_handed", [])  # nothing held over from the tests before
        # As if the worker never finished its first group: every later one waits, and is taken back.
        patch.setattr(RedactionJob, "in_worker", lambda self: self.future is not None)
        patch.setattr(IngestWorkers, "take_back", counted)
        report = taking.ingest_paths([docs], "c")
    expected = alone.ingest_paths([docs], "c")
    assert len(taken) >= 2 and all(job.ran_here and job.future is None for job in taken)
    _assert_stored_alike(report, expected, taking, alone)


def test_a_group_a_worker_prepares_entirely_is_the_group_prepared_here(
    workers: IngestWorkers, preparer: GroupPreparer
) -> None:
    workers.pool.wait_ready(timeout=180)
    submitted = workers.pool.submit(_prepare_group, _works())
    assert submitted is not None
    prepared = submitted[1].result(timeout=300)
    assert isinstance(prepared, PreparedGroup)
    _same(prepared, preparer.prepare(_works()))
    assert all(prepared.seconds[stage] > 0 for stage in ("redact", "chunk", "embed"))


def test_groups_no_worker_was_handed_are_redacted_here_while_the_oldest_is_with_a_worker(
    workers: IngestWorkers, preparer: GroupPreparer
) -> None:
    workers.pool.wait_ready(timeout=180)
    workers.start_run()  # nothing measured: every group goes to the worker
    busy = workers.pool.submit(time.sleep, 3)  # the worker is busy, so the groups stay with it until looked at
    assert busy is not None
    jobs = [workers.submit(_works(), preparer.redact) for _ in range(4)]
    oldest, *handed, newest = jobs
    # Two groups per worker and one more are handed over; the rest wait, where the caller can still take them.
    assert all(job.future is not None for job in (oldest, *handed)) and newest.future is None
    workers.redact_while_waiting(oldest, [*handed, newest])
    assert newest.ran_here and newest.future is None
    assert not any(job.ran_here for job in (oldest, *handed))  # with a worker already: left to it
    expected = preparer.prepare(_works())
    for job in jobs:
        _same(preparer.finish(_works(), job.result()), expected)
    assert busy[1].done()


def test_a_group_taken_back_is_redacted_once_counted_as_kept_and_its_error_kept_for_its_turn(
    base_settings: Settings,
) -> None:
    calls: list[Sequence[DocumentWork]] = []

    def redact_here(works: Sequence[DocumentWork]) -> RedactedGroup:
        calls.append(works)
        return RedactedGroup([], 0.1)

    def broken(works: Sequence[DocumentWork]) -> RedactedGroup:
        raise ValueError("spaCy choked")

    workers = IngestWorkers(base_settings, 0)  # no process: every job waits to be handed over
    job, failing = workers.submit(_works(), redact_here), workers.submit(_works()[:1], broken)
    empty = workers.submit([], redact_here)
    assert workers.take_back(job) and job.ran_here and len(calls) == 1
    assert job.result() is job.result() and len(calls) == 1
    assert not workers.take_back(job) and not workers.take_back(empty) and len(calls) == 1
    assert workers._kept_pages == workers._handed_pages == len(_works())  # the caller's share, as if kept
    assert workers.take_back(failing)  # the error waits for the group's turn, where one-by-one redaction handles it
    with pytest.raises(ValueError, match="choked"):
        failing.result()
    begun = workers.submit(_works(), redact_here)
    begun.result()
    assert not workers.take_back(begun) and len(calls) == 2


def test_the_workers_share_of_whole_groups_evens_out_the_work_per_page() -> None:
    # Per page: workers redact in 0.06 s; chunking and embedding take 0.09 s; the caller loads and stores in 0.01 s.
    split = WorkSplit(workers=1, pages=100, redact=6.0, finish=9.0, caller=1.0, caller_pages=100)
    share = split.share()
    assert 0 < share < 1
    assert 0.06 + share * 0.09 == pytest.approx((1 - share) * 0.09 + 0.01)
    # Redaction the slower stage: workers only redact.
    assert WorkSplit(workers=1, pages=100, redact=12.0, finish=9.0, caller=1.0, caller_pages=100).share() == 0.0
    assert WorkSplit(workers=1).share() == 0.0  # nothing measured yet


def test_the_callers_share_of_redaction_evens_out_the_work_per_page() -> None:
    # Per page: workers redact in 0.12 s; chunking and embedding take 0.09 s; loading and storing 0.01 s.
    split = WorkSplit(workers=1, pages=100, redact=12.0, finish=9.0, caller=2.0, caller_pages=200)
    kept = split.kept_share()
    assert 0 < kept < 1 and split.share() == 0.0
    assert (1 - kept) * 0.12 == pytest.approx(kept * 0.12 + 0.09 + 0.01)
    # Two workers redact twice as fast: now they keep up, and this process redacts nothing.
    assert WorkSplit(workers=2, pages=100, redact=12.0, finish=9.0, caller=2.0, caller_pages=200).kept_share() == 0
    assert WorkSplit(workers=1).kept_share() == 0.0  # nothing measured yet


def test_the_caller_keeps_its_share_of_the_runs_pages(base_settings: Settings) -> None:
    workers = IngestWorkers(base_settings, 0)  # no process: only the bookkeeping
    works = _works()  # three one-page documents
    workers.split = WorkSplit(workers=1, pages=100, redact=12.0, finish=9.0, caller=2.0, caller_pages=200)
    kept = [workers._keep_next(works) for _ in range(300)]
    assert sum(kept) * 3 == pytest.approx(workers.split.kept_share() * 900, abs=3)
    # Pages handed over before anything was measured count too: the caller catches up on them first.
    workers.start_run()
    assert not any(workers._keep_next(works) for _ in range(100))
    workers.split = WorkSplit(workers=1, pages=100, redact=12.0, finish=9.0, caller=2.0, caller_pages=200)
    caught_up = [workers._keep_next(works) for _ in range(20)]
    assert all(caught_up[:5]) and sum(caught_up) * 3 <= workers.split.kept_share() * 360
    # Redaction the faster stage: the workers redact everything.
    workers.start_run()
    workers.split = WorkSplit(workers=1, pages=100, redact=6.0, finish=9.0, caller=1.0, caller_pages=100)
    assert not any(workers._keep_next(works) for _ in range(100))


def test_workers_prepare_their_share_of_the_runs_pages(base_settings: Settings) -> None:
    workers = IngestWorkers(base_settings, 0)  # no process: only the bookkeeping
    works = _works()  # three one-page documents

    def prepared_by_a_worker() -> bool:  # the order in which a group is handed over
        return not workers._keep_next(works) and workers._prepare_next(works)

    split = WorkSplit(workers=1, pages=100, redact=6.0, finish=9.0, caller=1.0, caller_pages=100)
    workers.split = split
    prepared = [prepared_by_a_worker() for _ in range(300)]
    assert sum(prepared) * 3 == pytest.approx(split.share() * 900, abs=3)
    # Pages handed over before anything was measured count too: the workers catch up on them first.
    workers.start_run()
    assert not any(prepared_by_a_worker() for _ in range(100))
    workers.split = split
    caught_up = [prepared_by_a_worker() for _ in range(20)]
    assert all(caught_up[:5]) and sum(caught_up) * 3 <= split.share() * 360
    # Redaction the slower stage: the workers only redact.
    workers.start_run()
    workers.split = WorkSplit(workers=1, pages=100, redact=12.0, finish=9.0, caller=2.0, caller_pages=200)
    assert not any(workers._prepare_next(works) for _ in range(100))


def test_groups_prepared_entirely_by_a_worker_are_stored_as_here(
    tmp_path: Path, workers: IngestWorkers, redactor: Any, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ("hr-policy.pdf", "incident-report-2024-03.md", "ticket-1042.eml")
    docs, sharing, alone = _pipelines(tmp_path, workers, redactor, embedder, names)

    def not_here(*args: Any) -> None:
        raise AssertionError("chunked and embedded in the ingesting process")

    with monkeypatch.context() as patch:
        patch.setattr(WorkSplit, "share", lambda self: 1.0)  # as if this process were always the slower one,
        patch.setattr(WorkSplit, "kept_share", lambda self: 0.0)  # so that it keeps no group to redact either,
        patch.setattr(IngestWorkers, "take_back", lambda self, job: False)  # nor takes one back while it waits
        patch.setattr(GroupPreparer, "finish", not_here)  # this process only: the worker was spawned apart
        report = sharing.ingest_paths([docs], "c")
    expected = alone.ingest_paths([docs], "c")
    assert report.worker_seconds >= report.stage_seconds["embed"] > 0  # the worker's seconds
    _assert_stored_alike(report, expected, sharing, alone)


def test_groups_the_caller_keeps_are_redacted_here_and_stored_as_without_workers(
    tmp_path: Path, workers: IngestWorkers, redactor: Any, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, keeping, alone = _pipelines(tmp_path, workers, redactor, embedder, ["incident-report-2024-03.md"])
    with monkeypatch.context() as patch:
        patch.setattr(WorkSplit, "kept_share", lambda self: 1.0)  # as if the workers were always the slower
        report = keeping.ingest_paths([docs], "c")
    expected = alone.ingest_paths([docs], "c")
    assert report.worker_seconds == 0 and report.stage_seconds["redact"] > 0  # all of it redacted here
    _assert_stored_alike(report, expected, keeping, alone)


def test_workers_never_embed_with_the_torch_embedder(base_settings: Settings) -> None:
    measured = WorkSplit(workers=1, pages=100, redact=6.0, finish=9.0, caller=1.0, caller_pages=100)
    works = _works()
    for backend, embeds in (("openvino", True), ("torch", False)):
        workers = IngestWorkers(base_settings.model_copy(update={"embedder_backend": backend}), 0)  # no process
        workers.split = measured
        # Handed over as ``hand_over`` does: counted by ``_keep_next``, then maybe given to be prepared.
        assert any(not workers._keep_next(works) and workers._prepare_next(works) for _ in range(10)) is embeds
