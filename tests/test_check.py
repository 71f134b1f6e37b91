"""`enclave check`: the ledger, the vector store and the lexical index agree, or are made to agree."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ingest.check import check_consistency, repair
from rag.lexical import LexicalIndex
from rag.settings import load_settings
from rag.store import open_chroma_client
from rag.types import Chunk

from .conftest import small_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
GHOST_DOC = "f" * 32


def _ghost_chunk() -> Chunk:
    return Chunk(
        chunk_id="ffffffffffffffff-0000000000000000-v1-00000",
        document_id=GHOST_DOC,
        source="ghost.txt",
        page=1,
        chunk_index=0,
        start=0,
        end=22,
        text="A ghost chunk of text.",
        token_count=6,
    )


def _drop_ledger_row(ledger_path: Path, source: str) -> None:
    with sqlite3.connect(ledger_path) as db:
        db.execute("DELETE FROM documents WHERE source = ?", (source,))


def _check(pipeline: Any, data_dir: Path) -> Any:
    return check_consistency(pipeline.ledger, pipeline.store, load_settings(data_dir=data_dir).lexical_path)


def test_a_clean_ingest_is_consistent(tmp_path: Path, pipeline_factory: Any) -> None:
    pipeline = pipeline_factory()
    first = pipeline.ingest_paths([small_folder(tmp_path)], "default")
    report = _check(pipeline, tmp_path / "data")
    assert report.consistent, report.to_dict()
    assert report.collections == ["default"]
    assert report.documents == report.done == 3
    assert report.vectors == report.lexical_rows == first.chunks_written


def test_check_reports_real_inconsistencies_and_repair_plus_ingest_restores_everything(
    tmp_path: Path, pipeline_factory: Any, embedder: Any
) -> None:
    docs = small_folder(tmp_path)
    data_dir = tmp_path / "data"
    pipeline = pipeline_factory()
    pipeline.ingest_paths([docs], "default")
    original = sorted(pipeline.store.chunk_ids("default"))
    entries = {e.source: e for e in pipeline.ledger.entries()}
    memo, ticket = entries["memo.txt"], entries["sub/ticket.eml"]

    # 1. a vector deleted behind Enclave's back, straight from Chroma
    memo_ids = sorted(pipeline.store.chunk_ids("default", memo.document_id))
    chroma = open_chroma_client(load_settings(data_dir=data_dir).store_dir)
    chroma.get_collection("enclave_default").delete(ids=[memo_ids[0]])
    # 2. an orphan: vector and lexical row of a document the ledger never heard of
    ghost = _ghost_chunk()
    pipeline.store.upsert("default", [ghost], embedder.embed([ghost.text]))
    pipeline.lexical.upsert("default", [ghost])
    # 3. a ledger row dropped: its chunks are now orphans too
    _drop_ledger_row(data_dir / "ledger.sqlite3", "sub/ticket.eml")

    report = _check(pipeline, data_dir)
    assert not report.consistent
    orphans = {o.document_id: o for o in report.orphans}
    assert set(orphans) == {GHOST_DOC, ticket.document_id}
    assert orphans[GHOST_DOC].vector_ids == orphans[GHOST_DOC].lexical_ids == [ghost.chunk_id]
    assert len(orphans[ticket.document_id].vector_ids) == ticket.chunk_count
    assert [(p.source, p.problem, p.expected, p.vectors, p.lexical) for p in report.documents_with_problems] == [
        ("memo.txt", "incomplete", memo.chunk_count, memo.chunk_count - 1, memo.chunk_count)
    ]

    repaired = repair(report, pipeline.ledger, pipeline.store, pipeline.lexical)
    assert repaired.requeued == ["memo.txt"]
    assert repaired.vectors_deleted == 1 + ticket.chunk_count + memo.chunk_count - 1
    after = _check(pipeline, data_dir)
    assert not after.orphans and after.consistent_but_queued
    assert [p.source for p in after.queued] == ["memo.txt"]
    assert pipeline.store.chunk_ids("default", GHOST_DOC) == []
    assert pipeline.lexical.texts("default", [ghost.chunk_id]) == {}

    rerun = pipeline.ingest_paths([docs], "default")
    assert {o.source: o.status for o in rerun.outcomes} == {
        "memo.txt": "changed",
        "procedure.md": "skipped",
        "sub/ticket.eml": "new",
    }
    assert sorted(pipeline.store.chunk_ids("default")) == original
    assert sorted(pipeline.lexical.chunk_ids("default")) == original
    assert _check(pipeline, data_dir).consistent


def test_pending_document_with_partial_chunks_is_cleared_and_redone(tmp_path: Path, pipeline_factory: Any) -> None:
    docs = small_folder(tmp_path)
    data_dir = tmp_path / "data"
    pipeline = pipeline_factory()
    pipeline.ingest_paths([docs], "default")
    original = sorted(pipeline.store.chunk_ids("default"))
    # What a kill between "pending" and "done" leaves: the entry pending, some chunks written.
    with sqlite3.connect(data_dir / "ledger.sqlite3") as db:
        db.execute("UPDATE documents SET status = 'pending' WHERE source = 'procedure.md'")

    report = _check(pipeline, data_dir)
    assert [(p.source, p.problem) for p in report.documents_with_problems] == [("procedure.md", "pending")]
    assert not report.consistent_but_queued  # it holds chunks
    repair(report, pipeline.ledger, pipeline.store, pipeline.lexical)
    assert _check(pipeline, data_dir).consistent_but_queued
    pipeline.ingest_paths([docs], "default")
    assert sorted(pipeline.store.chunk_ids("default")) == original
    assert _check(pipeline, data_dir).consistent


def _enclave(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_check_verb_exit_codes_json_and_repair(tmp_path: Path, pipeline_factory: Any) -> None:
    data_dir = tmp_path / "data"
    pipeline = pipeline_factory()
    pipeline.ingest_paths([small_folder(tmp_path)], "default")
    clean = _enclave("check", data_dir=data_dir)
    assert clean.returncode == 0, clean.stderr
    assert "consistent" in clean.stdout

    # Only SQLite is touched from here on in this process: the subprocess is Chroma's one writer.
    LexicalIndex(data_dir / "lexical.sqlite3").upsert("default", [_ghost_chunk()])
    _drop_ledger_row(data_dir / "ledger.sqlite3", "memo.txt")
    found = _enclave("check", "--json", data_dir=data_dir)
    assert found.returncode == 1, found.stderr
    report = json.loads(found.stdout)["report"]
    assert report["consistent"] is False
    assert report["orphan_lexical_rows"] == 1 + report["orphan_vectors"] and report["orphan_vectors"] > 0
    human = _enclave("check", data_dir=data_dir)
    assert human.returncode == 1 and "orphan" in human.stdout and "--repair" in human.stdout

    fixed = _enclave("check", "--repair", "--json", data_dir=data_dir)
    assert fixed.returncode == 0, fixed.stderr
    payload = json.loads(fixed.stdout)
    assert payload["repair"]["orphan_documents_removed"] == 2
    assert payload["after_repair"]["consistent"] is True
    assert _enclave("check", data_dir=data_dir).returncode == 0
    assert _enclave("check", "--collection", "Bad Name", data_dir=data_dir).returncode == 2
