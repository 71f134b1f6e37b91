"""The enclave CLI in real subprocesses: help, redact, ingest summaries and exit codes, crash recovery."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import SAMPLE_DOCS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def enclave(
    *args: str, data_dir: Path, stdin: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_help_lists_every_verb(tmp_path: Path) -> None:
    result = enclave("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for verb in ("ingest", "forget", "redact", "documents"):
        assert verb in result.stdout
    ingest_help = enclave("ingest", "--help", data_dir=tmp_path)
    assert "--prune" in ingest_help.stdout and "--strict" in ingest_help.stdout


def test_redact_jsonl(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "Call Mr Daniel Okafor on +1 (555) 017-3388 about the invoice."}),
        json.dumps({"text": "Nothing personal here."}),
    ]
    result = enclave("redact", "--jsonl", data_dir=tmp_path, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["text"] == "Call Mr <PERSON_1> on <PHONE_NUMBER_1> about the invoice."
    original = json.loads(lines[0])["text"]
    assert [(e["type"], original[e["start"] : e["end"]]) for e in first["entities"]] == [
        ("PERSON", "Daniel Okafor"),
        ("PHONE_NUMBER", "+1 (555) 017-3388"),
    ]
    assert second == {"text": "Nothing personal here.", "entities": []}

    bad = enclave("redact", "--jsonl", data_dir=tmp_path, stdin="not json\n")
    assert bad.returncode == 2 and "line 1" in bad.stderr


def test_ingest_summary_and_exit_codes(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy.md").write_bytes((SAMPLE_DOCS / "procedure-backup.md").read_bytes())
    (docs / "broken.pdf").write_bytes(b"not a pdf at all")
    data = tmp_path / "data"

    first = enclave("ingest", str(docs), "--json", data_dir=data)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["files"] == {
        "new": 1,
        "changed": 0,
        "skipped": 0,
        "permissions-changed": 0,
        "failed": 1,
        "forgotten": 0,
    }
    assert summary["failures"] == [{"source": "broken.pdf", "reason": "named .pdf but is not a PDF (no %PDF header)"}]
    assert set(summary["stage_seconds"]) == {"load", "redact", "chunk", "embed", "store"}

    strict = enclave("ingest", str(docs), "--strict", "--json", data_dir=data)
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["files"]["skipped"] == 1

    nothing = enclave("ingest", str(docs / "broken.pdf"), data_dir=data)
    assert nothing.returncode == 1

    missing = enclave("ingest", str(tmp_path / "nope"), data_dir=data)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr

    listed = enclave("documents", "--json", data_dir=data)
    rows = {row["source"]: row for row in json.loads(listed.stdout)}
    assert rows["policy.md"]["status"] == "done" and rows["broken.pdf"]["status"] == "failed"


def _done_count(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    try:
        with sqlite3.connect(ledger, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM documents WHERE status = 'done'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_a_killed_run_is_completed_by_the_next_without_duplicates(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(40):
        (docs / f"note-{i:02d}.txt").write_text(
            f"Note {i}. The maintenance window number {i} starts at {i % 24:02d}:00 and lasts {i + 10} minutes. " * 8,
            encoding="utf-8",
        )
    data = tmp_path / "data"
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(data)}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "ingest", str(docs)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while _done_count(data / "ledger.sqlite3") < 5 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = _done_count(data / "ledger.sqlite3")
    assert 5 <= killed_at < 40, "the run should have been killed part-way"

    rerun = enclave("ingest", str(docs), "--json", data_dir=data)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["files"]["skipped"] >= killed_at
    assert summary["files"]["new"] + summary["files"]["changed"] + summary["files"]["skipped"] == 40

    check = (
        "import sys, sqlite3, rag; from pathlib import Path; from rag.store import ChromaStore, open_chroma_client; "
        "d = Path(sys.argv[1]); s = ChromaStore(open_chroma_client(d / 'chroma')); ids = s.chunk_ids('default'); "
        "db = sqlite3.connect(d / 'ledger.sqlite3'); "
        "print(len(ids), len(set(ids)), db.execute('select sum(chunk_count) from documents').fetchone()[0])"
    )
    out = subprocess.run([sys.executable, "-c", check, str(data)], capture_output=True, text=True, check=True)
    total, unique, in_ledger = map(int, out.stdout.split())
    assert total == unique == in_ledger


def test_search_ask_and_classify_verbs(ingested_sample: dict[str, Any]) -> None:
    data = ingested_sample["data_dir"]
    found = enclave("search", "hotel cap per night", "--top-k", "2", "--json", data_dir=data)
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)["results"]
    assert len(results) == 2 and results[0]["source"] == "hr-policy.pdf" and results[0]["page"] == 4

    answered = enclave("ask", "How long did the payments API outage last?", "--json", data_dir=data)
    assert answered.returncode == 0, answered.stderr
    answer = json.loads(answered.stdout)
    assert "47 minutes" in answer["answer"]
    assert any(c["cited"] and c["source"] == "incident-report-2024-03.md" for c in answer["citations"])

    tickets = "\n".join(
        json.dumps({"text": text})
        for text in ("Please refund the duplicate charge on my invoice.", "The VPN fails with error 809 on login.")
    )
    classified = enclave("classify", "--labels", "billing,technical", data_dir=data, stdin=tickets + "\n")
    assert classified.returncode == 0, classified.stderr
    assert [json.loads(line)["label"] for line in classified.stdout.splitlines()] == ["billing", "technical"]

    unknown = enclave("search", "leave", "--collection", "missing", data_dir=data)
    assert unknown.returncode == 2 and "no collection named 'missing'" in unknown.stderr
