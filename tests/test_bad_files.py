"""One ingestion job over every kind of bad file: each fails alone, with a one-line reason, leaving
nothing in the store, while the good files beside them are ingested and memory stays bounded."""

from __future__ import annotations

import hashlib
import os
import re
import resource
import threading
from pathlib import Path
from typing import Any

import pytest

from ingest.check import check_consistency

from .bad_files import (
    CHANGED_TEXT,
    CI_KINDS,
    GROUP_DOCUMENTS,
    PDF_MEMORY_MB,
    PDF_TIMEOUT_SECONDS,
    during_job,
    write_corpus,
)
from .conftest import MEMO, SHARED_PDFS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_one_bad_file_of_each_family_fails_alone_with_its_reason(tmp_path: Path, pipeline_factory: Any) -> None:
    """What CI runs of the bad-file job (issue 34 item 18): the families of failure, without the slow cases."""
    _bad_file_job(tmp_path, pipeline_factory, write_corpus(tmp_path / "share", only=CI_KINDS))


# Slow: 86 s when it passed, but twice it ran for more than 10 CPU-minutes in this process (cause not
# yet found; see docs/reliability.md), which a CI run must not risk.
@pytest.mark.slow
def test_every_bad_file_fails_alone_with_its_reason(tmp_path: Path, pipeline_factory: Any) -> None:
    _bad_file_job(tmp_path, pipeline_factory, write_corpus(tmp_path / "share"))


def _bad_file_job(tmp_path: Path, pipeline_factory: Any, expected: dict[str, Any]) -> None:
    folder = tmp_path / "share"
    pipeline = pipeline_factory(
        pdf_timeout_seconds=PDF_TIMEOUT_SECONDS, pdf_memory_mb=PDF_MEMORY_MB, ingest_group_documents=GROUP_DOCUMENTS
    )
    peak_before = _peak_rss_mb()
    report = pipeline.ingest_paths([folder], "default", on_file=during_job(folder))
    # The bomb inflates to 600 MB and the long files go through spaCy, yet this process barely grows.
    assert _peak_rss_mb() - peak_before < 300

    outcomes = {o.source: o for o in report.outcomes}
    ledger = {e.source: e for e in pipeline.ledger.entries()}
    assert set(outcomes) == set(expected) == set(ledger)
    good = {name for name, e in expected.items() if e.reason is None}
    for name, expectation in expected.items():
        outcome = outcomes[name]
        if expectation.reason is None:
            assert outcome.status == "new" and outcome.chunks > 0, (name, outcome.reason)
            assert ledger[name].status == "done"
            continue
        assert outcome.status == "failed", (name, expectation.what)
        reason = outcome.reason or ""
        assert re.search(expectation.reason, reason), (name, reason)
        assert "\n" not in reason and len(reason) < 200
        assert ledger[name].status == "failed" and ledger[name].reason == reason
        assert pipeline.store.chunk_ids("default", outcome.document_id) == []
    assert {o.source for o in report.failures} == set(expected) - good
    assert {hit.source for hit in pipeline.store.get_chunks("default")} == good
    consistency = check_consistency(pipeline.ledger, pipeline.store, tmp_path / "data" / "lexical.sqlite3")
    assert consistency.consistent, consistency.to_dict()

    # The file rewritten after listing is stored as it was read, and the next run agrees.
    assert ledger["zz-changing.txt"].content_hash == hashlib.sha256(CHANGED_TEXT).hexdigest()
    assert "night shift" in pipeline.store.get_chunks("default", where={"source": "zz-changing.txt"})[0].text
    assert "cafeteria" in pipeline.store.get_chunks("default", where={"source": "00-good.txt"})[0].text
    again = pipeline.ingest_paths([folder], "default")
    assert {o.source for o in again.outcomes if o.status == "skipped"} == good
    assert "zz-vanishing.txt" not in {o.source for o in again.outcomes}


def test_a_symlink_loop_fails_that_entry_not_the_job(tmp_path: Path, pipeline_factory: Any) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "memo.txt").write_text(MEMO, encoding="utf-8")
    (folder / "loop-a.txt").symlink_to("loop-b.txt")
    (folder / "loop-b.txt").symlink_to("loop-a.txt")
    report = pipeline_factory().ingest_paths([folder], "default")
    assert {o.source: o.status for o in report.outcomes}["memo.txt"] == "new"
    assert all("symbolic links" in (o.reason or "") for o in report.failures)


def test_a_named_pipe_does_not_hang_the_job(tmp_path: Path, pipeline_factory: Any) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "memo.txt").write_text(MEMO, encoding="utf-8")
    fifo = folder / "pipe.txt"
    os.mkfifo(fifo)
    pipeline = pipeline_factory()
    result: dict[str, Any] = {}
    job = threading.Thread(target=lambda: result.update(report=pipeline.ingest_paths([folder], "default")))
    job.start()
    job.join(timeout=15)  # a three-file job takes a few seconds
    hung = job.is_alive()
    if hung:
        with fifo.open("wb"):  # a writer that closes at once: the blocked read gets end-of-file
            pass
        job.join(timeout=60)
    assert not hung, "the job blocked reading a named pipe"
    assert {o.source: o.status for o in result["report"].outcomes}["memo.txt"] == "new"


@pytest.mark.skipif(not SHARED_PDFS.is_dir(), reason="shared PDF samples not present")
def test_every_real_world_pdf_is_ingested_or_fails_with_its_reason(tmp_path: Path, pipeline_factory: Any) -> None:
    pipeline = pipeline_factory()
    peak_before = _peak_rss_mb()
    report = pipeline.ingest_paths([SHARED_PDFS], "default")
    grown = _peak_rss_mb() - peak_before
    statuses = {o.source: o.status for o in report.outcomes}
    assert set(statuses.values()) <= {"new", "failed"}
    reasons = {o.source: o.reason or "" for o in report.failures}
    assert all(reason and "\n" not in reason for reason in reasons.values())
    assert "encrypted" in reasons["005-libreoffice-writer-password_libreoffice-writer-password.pdf"]
    assert all(re.match(r"(PDF has no text layer|unreadable PDF|encrypted PDF)", r) for r in reasons.values()), reasons
    assert report.count("new") >= 24
    consistency = check_consistency(pipeline.ledger, pipeline.store, tmp_path / "data" / "lexical.sqlite3")
    assert consistency.consistent, consistency.to_dict()
    print(f"real-world PDFs: {report.to_dict()['files']}, {report.elapsed_seconds:.0f} s, peak RSS +{grown:.0f} MB")


def test_links_out_of_the_shared_folder_are_not_followed(tmp_path: Path, pipeline_factory: Any) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "salaries.txt").write_text("Confidential salary grid kept outside the share.", encoding="utf-8")
    (outside / "folder").mkdir()
    (outside / "folder" / "plans.txt").write_text("Merger plans that must stay outside.", encoding="utf-8")
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "memo.txt").write_text(MEMO, encoding="utf-8")
    (folder / "inside-link.txt").symlink_to("memo.txt")  # a link that stays inside the share is a file of it
    (folder / "salaries.txt").symlink_to(outside / "salaries.txt")
    (folder / "linked-folder").symlink_to(outside / "folder", target_is_directory=True)
    (folder / "sub").mkdir()
    (folder / "sub" / "up.txt").symlink_to(Path("..") / ".." / "outside" / "salaries.txt")

    pipeline = pipeline_factory()
    report = pipeline.ingest_paths([folder], "default")
    assert {o.source: o.status for o in report.outcomes} == {"inside-link.txt": "new", "memo.txt": "new"}
    texts = " ".join(chunk.text for chunk in pipeline.store.get_chunks("default"))
    assert "cafeteria" in texts
    assert "salary" not in texts and "Merger" not in texts
