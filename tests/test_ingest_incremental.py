"""Idempotent re-runs, changed files, prune, forget, bad files, the writer lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.lock import store_write_lock
from rag.errors import StoreBusyError

from .conftest import MEMO, SAMPLE_DOCS, small_folder


def test_rerun_skips_unchanged_files_and_keeps_the_same_chunks(tmp_path: Path, pipeline_factory: Any) -> None:
    docs = small_folder(tmp_path)
    pipeline = pipeline_factory()
    first = pipeline.ingest_paths([docs], "default")
    assert first.count("new") == 3
    ids = sorted(pipeline.store.chunk_ids("default"))

    second = pipeline.ingest_paths([docs], "default")
    assert second.count("skipped") == 3 and second.chunks_written == 0
    assert sorted(pipeline.store.chunk_ids("default")) == ids
    assert {o.source for o in first.outcomes} == {"memo.txt", "procedure.md", "sub/ticket.eml"}


def test_changed_file_replaces_its_chunks(tmp_path: Path, pipeline_factory: Any) -> None:
    docs = small_folder(tmp_path)
    pipeline = pipeline_factory()
    pipeline.ingest_paths([docs], "default")
    before = pipeline.store.get_chunks("default", where={"source": "memo.txt"})

    (docs / "memo.txt").write_text(MEMO.replace("07:30", "08:15"), encoding="utf-8")
    report = pipeline.ingest_paths([docs], "default")
    assert report.count("changed") == 1 and report.count("skipped") == 2
    after = pipeline.store.get_chunks("default", where={"source": "memo.txt"})
    assert len(after) == len(before)
    assert {c.chunk_id for c in after}.isdisjoint({c.chunk_id for c in before})
    assert all("08:15" in c.text for c in after)
    assert len(pipeline.store.chunk_ids("default")) == len(set(pipeline.store.chunk_ids("default")))


def test_prune_forgets_deleted_files(tmp_path: Path, pipeline_factory: Any) -> None:
    docs = small_folder(tmp_path)
    pipeline = pipeline_factory()
    pipeline.ingest_paths([docs], "default")
    document_id = next(e.document_id for e in pipeline.ledger.entries() if e.source == "sub/ticket.eml")
    (docs / "sub" / "ticket.eml").unlink()

    without_prune = pipeline.ingest_paths([docs], "default")
    assert without_prune.count("forgotten") == 0
    assert pipeline.store.chunk_ids("default", document_id)

    pruned = pipeline.ingest_paths([docs], "default", prune=True)
    assert [o.source for o in pruned.outcomes if o.status == "forgotten"] == ["sub/ticket.eml"]
    assert pipeline.store.chunk_ids("default", document_id) == []
    assert pipeline.ledger.get("default", document_id) is None


def test_forget_removes_every_chunk_and_ledger_entry(tmp_path: Path, pipeline_factory: Any) -> None:
    docs = small_folder(tmp_path)
    pipeline = pipeline_factory()
    pipeline.ingest_paths([docs], "default")
    total = pipeline.store.count("default")

    outcomes = pipeline.forget_paths([docs / "sub"], "default")
    assert [o.source for o in outcomes] == ["sub/ticket.eml"]
    assert pipeline.store.count("default") == total - outcomes[0].chunks
    assert not pipeline.store.get_chunks("default", where={"source": "sub/ticket.eml"})
    assert [e.source for e in pipeline.ledger.entries()] == ["memo.txt", "procedure.md"]

    pipeline.forget_paths([docs], "default")
    assert pipeline.store.count("default") == 0
    assert pipeline.ledger.entries() == []


def test_collections_are_separate(tmp_path: Path, pipeline_factory: Any) -> None:
    docs = small_folder(tmp_path)
    pipeline = pipeline_factory()
    pipeline.ingest_paths([docs / "memo.txt"], "hr")
    pipeline.ingest_paths([docs / "procedure.md"], "ops")
    assert pipeline.store.collections() == ["hr", "ops"]
    assert {c.source for c in pipeline.store.get_chunks("hr")} == {"memo.txt"}


def test_bad_files_are_reported_and_the_good_ones_ingested(tmp_path: Path, pipeline_factory: Any) -> None:
    docs = tmp_path / "mixed"
    docs.mkdir()
    (docs / "good.txt").write_text(MEMO, encoding="utf-8")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.pdf").write_bytes(bytes(range(256)) * 8)
    pdf = (SAMPLE_DOCS / "vendor-contract.pdf").read_bytes()
    (docs / "truncated.pdf").write_bytes(pdf[: len(pdf) // 3])
    (docs / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    latin1 = "Note de service : la cantine ouvre à 11h30, fermée le vendredi après-midi. Merci.\n"
    (docs / "latin1.txt").write_bytes(latin1.encode("latin-1"))

    pipeline = pipeline_factory()
    report = pipeline.ingest_paths([docs], "default")
    reasons = {o.source: o.reason for o in report.failures}
    assert {o.source for o in report.outcomes if o.status == "new"} == {"good.txt", "latin1.txt"}
    assert set(reasons) == {"empty.txt", "binary.pdf", "truncated.pdf", "image.png"}
    assert reasons["empty.txt"] == "empty file"
    assert "not a PDF" in reasons["binary.pdf"]
    assert "unreadable image" in reasons["image.png"]  # a PNG signature over zeros: damaged, said so
    assert reasons["truncated.pdf"]
    # Failed files leave nothing in the store, and their reason is in the ledger.
    assert {c.source for c in pipeline.store.get_chunks("default")} == {"good.txt", "latin1.txt"}
    failed = {e.source: e.reason for e in pipeline.ledger.entries(status="failed")}
    assert failed == reasons
    latin_chunks = pipeline.store.get_chunks("default", where={"source": "latin1.txt"})
    assert "cantine ouvre à 11h30" in latin_chunks[0].text


def test_a_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    lock = tmp_path / "store.lock"
    with (
        store_write_lock(lock, timeout=1),
        pytest.raises(StoreBusyError, match="another Enclave process"),
        store_write_lock(lock, timeout=0.2),
    ):
        pass
    with store_write_lock(lock, timeout=0.2):
        pass
