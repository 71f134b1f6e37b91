"""Issue 32 from the command line and across upgrades: keys with principals, an access map, the documents list and
`enclave check`, and data dirs written before readers were recorded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ingest.permissions import load_access_map
from rag.access import Readers
from rag.lexical import LexicalIndex
from rag.retriever import SearchFilters

from .conftest import make_pipeline
from .test_cli import enclave

MAP = 'default = ["everyone"]\n[rules]\n"HR/**" = ["group:hr"]\n"Legal/**" = ["group:legal", "user:dpo"]\n'


def _drive(root: Path) -> Path:
    for name, text in {
        "HR/leave.md": "Parental leave lasts sixteen weeks at full pay for every employee of the firm.",
        "Legal/retention.md": "Contracts are kept for ten years after they end, then destroyed securely.",
        "general/cafeteria.md": "The cafeteria opens at half past seven and closes at three in the afternoon.",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_keys_carry_principals_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    made = enclave(
        "keys", "create", "--collections", "default", "--principals", "group:hr,user:alice", data_dir=tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert "reads everyone, group:hr, user:alice" in " ".join(made.stderr.split())
    listed = json.loads(enclave("keys", "list", "--json", data_dir=tmp_path).stdout)
    assert listed[0]["principals"] == ["group:hr", "user:alice"]
    refused = enclave("keys", "create", "--collections", "default", "--principals", "hr", data_dir=tmp_path)
    assert refused.returncode == 2 and "invalid principal 'hr'" in refused.stderr


def test_an_access_map_that_does_not_parse_stops_ingest_before_anything_is_read(tmp_path: Path) -> None:
    bad = tmp_path / "access.toml"
    bad.write_text('[rules]\n"HR/**" = "group:hr"\n')
    done = enclave("ingest", str(_drive(tmp_path / "drive")), "--access-map", str(bad), data_dir=tmp_path / "data")
    assert done.returncode == 2
    assert "must be a list of principals" in " ".join(done.stderr.split())
    assert not (tmp_path / "data" / "ledger.sqlite3").exists()  # nothing was ingested, nor even opened


def test_the_documents_list_and_check_show_readers_from_an_access_map(
    tmp_path: Path, redactor: Any, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    access = tmp_path / "access.toml"
    access.write_text(MAP)
    data_dir = tmp_path / "data"
    pipeline = make_pipeline(data_dir, redactor, embedder)
    report = pipeline.ingest_paths([_drive(tmp_path / "drive")], "default", readers=load_access_map(access))
    assert report.count("new") == 3
    pipeline.ledger.close()
    pipeline.lexical.close()
    listed = json.loads(enclave("documents", "--json", data_dir=data_dir).stdout)
    assert {d["source"]: d["readers"] for d in listed} == {
        "HR/leave.md": ["group:hr"],
        "Legal/retention.md": ["group:legal", "user:dpo"],
        "general/cafeteria.md": ["everyone"],
    }
    assert (
        enclave("keys", "create", "--collections", "*", "--principals", "group:hr", data_dir=data_dir).returncode == 0
    )
    checked = enclave("check", "--json", data_dir=data_dir, timeout=600)
    assert checked.returncode == 0, checked.stderr
    unheld = json.loads(checked.stdout)["unheld_principals"]
    assert [u["principal"] for u in unheld] == ["group:legal", "user:dpo"]  # group:hr is held by the key
    monkeypatch.setenv("ENCLAVE_ACCESS_MAP", str(access))  # a misspelt group of the map is listed too
    access.write_text(MAP + '"Finance/**" = ["group:finanse"]\n')
    text = enclave("check", data_dir=data_dir, timeout=600)
    assert "principal group:finanse: named by the access map, held by no active API key" in " ".join(
        text.stdout.split()
    )
    assert "principal group:legal: named by 1 documents and the access map, held by no active API key" in " ".join(
        text.stdout.split()
    )


def test_documents_stored_before_readers_were_recorded_stay_readable_by_every_key(
    tmp_path: Path, redactor: Any, embedder: Any
) -> None:
    """A data dir of the previous release: the ledger has no readers column, the lexical index no readers table and
    the vector store's chunks no reader flags. Its documents were read by every key of their collection."""
    data_dir = tmp_path / "data"
    pipeline = make_pipeline(data_dir, redactor, embedder)
    assert pipeline.ingest_paths([_drive(tmp_path / "drive")], "default").count("new") == 3
    ids = [e.document_id for e in pipeline.ledger.entries()]
    pipeline.store.set_readers("default", dict.fromkeys(ids, ()))  # no flag left on any chunk
    pipeline.ledger.close()
    pipeline.lexical.close()
    with sqlite3.connect(data_dir / "ledger.sqlite3") as db:
        db.execute("ALTER TABLE documents DROP COLUMN readers")
    with sqlite3.connect(data_dir / "lexical.sqlite3") as db:
        db.execute("DROP TABLE document_readers")

    upgraded = make_pipeline(data_dir, redactor, embedder)
    assert {e.readers for e in upgraded.ledger.entries()} == {None}
    everyone = {document_id: ["everyone"] for document_id in ids}
    assert LexicalIndex(data_dir / "lexical.sqlite3").readers("default", ids) == everyone
    support = SearchFilters(readers=Readers.holding(["group:support"]))
    where = support.chroma_where(readers=True)  # the reader flags on the chunks themselves
    assert where is not None and upgraded.store.query("default", embedder.embed(["cafeteria"])[0], 3, where) == []
    upgraded.writer.record_legacy_readers()
    assert {e.readers for e in upgraded.ledger.entries()} == {("everyone",)}
    assert len(upgraded.store.query("default", embedder.embed(["cafeteria"])[0], 3, where)) == 3


def test_attachments_follow_their_messages_readers_when_only_permissions_change(
    tmp_path: Path, redactor: Any, embedder: Any
) -> None:
    from email.message import EmailMessage

    drive = tmp_path / "drive"
    (drive / "HR").mkdir(parents=True)
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "Pay review", "hr@example.com", "board@example.com"
    message.set_content("The pay review figures are attached for the board.")
    message.add_attachment("Grade seven pays the top of the band this year.", filename="grades.txt")
    (drive / "HR" / "pay.eml").write_bytes(message.as_bytes())
    closed, opened = tmp_path / "closed.toml", tmp_path / "open.toml"
    closed.write_text('[rules]\n"HR/**" = ["group:hr"]\n')
    opened.write_text('[rules]\n"HR/**" = ["group:hr", "group:board"]\n')
    pipeline = make_pipeline(tmp_path / "data", redactor, embedder)
    assert pipeline.ingest_paths([drive], "default", readers=load_access_map(closed)).count("new") == 2
    report = pipeline.ingest_paths([drive], "default", readers=load_access_map(opened))
    assert report.count("permissions-changed") == 1  # the message; its attachment was not visited on its own
    readers = {e.source: e.readers for e in pipeline.ledger.entries()}
    both = ("group:board", "group:hr")
    assert readers == {"HR/pay.eml": both, "HR/pay.eml › grades.txt": both}
    board = pipeline.lexical.search("default", "grade seven band", 5, readers=["everyone", "group:board"])
    assert {hit.source for hit in board} == {"HR/pay.eml › grades.txt"}
