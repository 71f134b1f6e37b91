"""Issue 34: what request threads and the upload worker share, what a server owns, and what is closed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.errors import StoreError
from rag.settings import Settings, load_settings
from rag.types import Redaction

from .conftest import MEMO, REPO, SAMPLE_DOCS, free_port, small_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Generous bounds that only keep a broken build from hanging the suite; nothing here measures time.
_LIVENESS_SECONDS = 300.0


def _run_together(works: Sequence[Callable[[], None]]) -> list[BaseException]:
    """Run each callable on its own thread, all released at once; the exceptions they raised."""
    barrier = threading.Barrier(len(works))
    errors: list[BaseException] = []
    guard = threading.Lock()

    def run(work: Callable[[], None]) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # collected for the test to report
            with guard:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,), daemon=True) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=_LIVENESS_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a worker thread never finished"
    return errors


# ---- item 5: the embedder's tokenizer -----------------------------------------------------------------------


def _long_page() -> str:
    texts = [(SAMPLE_DOCS / name).read_text("utf-8") for name in ("procedure-backup.md", "incident-report-2024-03.md")]
    return "\n\n".join(texts * 3)


@pytest.mark.parametrize("backend", ["default", "torch"])
def test_searches_and_chunking_share_the_embedders_tokenizer(
    backend: str, embedder: Any, base_settings: Settings
) -> None:
    """Issue 34 item 5: query embeddings (searches) and chunking (uploads) use the embedder's one fast
    tokenizer from several threads at once without "Already borrowed" errors, and each gets what it gets
    alone (truncation set for a query never cuts an upload's token spans, nor the other way round); with the
    default (exported) backend and with torch, which tokenizes inside sentence-transformers."""
    from ingest.components import build_chunker
    from rag.embedder import SentenceTransformerEmbedder
    from rag.models import embedder_folder

    if backend == "torch" and embedder.backend != "torch":
        embedder = SentenceTransformerEmbedder(embedder_folder(base_settings))
    chunker = build_chunker(base_settings, embedder)
    pages = [(1, _long_page()), (2, _long_page()[::-1])]
    expected_chunks = chunker.chunk_pages(pages)
    expected_spans = embedder.token_spans([text for _, text in pages])
    # Longer than the model's 256 tokens: embedding it turns truncation on, chunking turns it off.
    query = " ".join(["How long is parental leave at full pay, and who approves it?"] * 40)
    expected_vector = embedder.embed([query])[0]
    assert max(len(spans) for spans in expected_spans) > 4 * embedder.max_tokens

    def chunking() -> None:
        for _ in range(40):
            assert chunker.chunk_pages(pages) == expected_chunks
            assert embedder.token_spans([text for _, text in pages]) == expected_spans

    def searching() -> None:
        for _ in range(60):
            vector = embedder.embed([query])[0]
            assert float(np.dot(vector, expected_vector)) > 0.9999

    errors = _run_together([chunking, chunking, searching, searching, searching])
    assert not errors, [repr(error) for error in errors]


# ---- item 6: the ledger's connection ------------------------------------------------------------------------


def _record(writer: int, number: int, status: str = "done") -> Any:
    from ingest.ledger import LedgerRecord

    return LedgerRecord(
        collection="default",
        document_id=f"doc-{writer}-{number}",
        root="/shared",
        source=f"w{writer}/file-{number}.txt",
        path=f"/shared/w{writer}/file-{number}.txt",
        content_hash=f"hash-{number}",
        pipeline="test",
        status=status,
        pages=1,
        chunk_count=number,
        redactions={"PERSON": number},
    )


def test_the_ledger_is_shared_safely_by_threads(tmp_path: Path) -> None:
    """Issue 34 item 6: one Ledger used by several threads at once (reads, transactions that write, and the
    VACUUM of compact(), as the server's request threads and its upload path do) raises nothing and loses
    no write."""
    from ingest.ledger import Ledger

    ledger = Ledger(tmp_path / "ledger.sqlite3")
    rounds = 60

    def writer(number: int) -> Callable[[], None]:
        def write() -> None:
            for i in range(rounds):
                ledger.record_many([_record(number, i, "pending"), _record(number, i + 1000, "pending")])
                ledger.record(_record(number, i))
                ledger.remove("default", f"doc-{number}-{i + 1000}")

        return write

    def reader() -> None:
        for _ in range(rounds):
            for entry in ledger.entries(collection="default"):
                assert entry.collection == "default"
            ledger.get("default", "doc-1-0")
            ledger.entries_under("default", "/shared/w2")

    def compactor() -> None:
        for _ in range(rounds // 4):
            ledger.compact()

    try:
        errors = _run_together([writer(1), writer(2), reader, reader, compactor])
        assert not errors, [repr(error) for error in errors]
        entries = ledger.entries(collection="default")
        assert sorted(e.document_id for e in entries) == sorted(f"doc-{w}-{i}" for w in (1, 2) for i in range(rounds))
        assert {e.status for e in entries} == {"done"}
    finally:
        ledger.close()


# ---- item 8: queries have a redactor of their own -------------------------------------------------------------


class _HeldRedactor:
    """The ingestion redactor wrapped so that, once armed, a redaction holds it until the test releases it:
    a long upload, without any sleeping."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.armed = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()

    def redact(self, text: str, language: str | None = None) -> Redaction:
        return self.redact_pages([text], language)[0]

    def redact_pages(self, pages: Sequence[str], language: str | None = None) -> list[Redaction]:
        return self.redact_documents([pages], [language])[0]

    def redact_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> list[list[Redaction]]:
        if self.armed.is_set():
            self.entered.set()
            self.release.wait(timeout=_LIVENESS_SECONDS)
        result: list[list[Redaction]] = self._inner.redact_documents(documents, languages)
        return result


def test_a_search_is_redacted_while_an_upload_holds_the_ingestion_redactor(
    tmp_path: Path, redactor: Any, embedder: Any, generator: Any
) -> None:
    """Issue 34 item 8: queries have their own redactor behind their own lock: while an upload's redaction
    holds the ingestion redactor, a search is redacted, searched and answered."""
    from api.services import Services

    held = _HeldRedactor(redactor)
    # The query side may use the same underlying redactor here only because the held one never calls it
    # while the search runs: the upload waits before its redaction starts, and is released after the search.
    services = Services.load(
        load_settings(data_dir=tmp_path / "data"),
        redactor=held,
        query_redactor=redactor,
        embedder=embedder,
        generator=generator,
    )
    upload = threading.Thread(
        target=services.pipeline.ingest_bytes,
        args=((SAMPLE_DOCS / "procedure-backup.md").read_bytes(),),
        kwargs={"collection": "default", "root": "uploads", "source": "procedure.md", "path": "procedure.md"},
        daemon=True,
    )
    try:
        first = services.pipeline.ingest_bytes(
            MEMO.encode(), collection="default", root="uploads", source="memo.txt", path="memo.txt"
        )
        assert first.status == "new"
        held.armed.set()
        upload.start()
        assert held.entered.wait(timeout=_LIVENESS_SECONDS)

        found: list[Any] = []
        searched = threading.Event()

        def search() -> None:
            found.append(services.answers.search("When does the cafeteria open?", "default"))
            searched.set()

        threading.Thread(target=search, daemon=True).start()
        answered_while_held = searched.wait(timeout=_LIVENESS_SECONDS)
        still_holding = not held.release.is_set() and upload.is_alive()
        held.release.set()
        upload.join(timeout=_LIVENESS_SECONDS)
        assert answered_while_held and still_holding
        assert found[0].hits[0].source == "memo.txt"
        assert {e.source: e.status for e in services.ledger.entries()} == {"memo.txt": "done", "procedure.md": "done"}
    finally:
        held.release.set()
        services.close()


def test_one_injected_redactor_serves_both_sides_behind_one_lock(
    tmp_path: Path, redactor: Any, embedder: Any, generator: Any
) -> None:
    """Issue 34 item 8: tests that inject a single (not thread-safe) redactor get it for queries and
    ingestion behind one lock, never one object behind two locks."""
    from api.services import Services

    services = Services.load(
        load_settings(data_dir=tmp_path / "data"), redactor=redactor, embedder=embedder, generator=generator
    )
    try:
        assert services.query_redactor is services.redactor
    finally:
        services.close()


# ---- item 10: the embedded store has one owner ---------------------------------------------------------------


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENCLAVE_")}
    return {**env, "ENCLAVE_DATA_DIR": str(data_dir), "ENCLAVE_LOCK_TIMEOUT_SECONDS": "0", **extra}


_TAKE_OWNER_LOCK = """
import sys
from ingest.lock import embedded_store_owner
from rag.errors import StoreBusyError
from rag.settings import load_settings
try:
    with embedded_store_owner(load_settings()):
        print("owner")
except StoreBusyError as exc:
    print("busy:", exc.detail)
"""


def _owner_lock_from_another_process(data_dir: Path, **extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _TAKE_OWNER_LOCK],
        capture_output=True,
        text=True,
        env=_env(data_dir, **extra),
        cwd=REPO,
        timeout=_LIVENESS_SECONDS,
        check=True,
    )
    return result.stdout.strip()


def test_the_cli_write_verbs_refuse_a_data_dir_whose_embedded_store_is_owned(tmp_path: Path) -> None:
    """Issue 34 item 10: while another process owns the embedded store (a server), `enclave ingest`,
    `enclave forget` and `enclave check --repair` stop with exit 2 and one line pointing at the API's
    upload and at Chroma's server mode; with ENCLAVE_CHROMA_URL set they do not ask for that lock."""
    from ingest.lock import embedded_store_owner

    data_dir = tmp_path / "data"
    docs = small_folder(tmp_path)
    settings = load_settings(data_dir=data_dir, lock_timeout_seconds=0)
    with embedded_store_owner(settings):
        for verb in (["ingest", str(docs)], ["forget", str(docs)], ["check", "--repair"]):
            result = subprocess.run(
                [sys.executable, "-m", "api.cli", *verb],
                capture_output=True,
                text=True,
                env={**_env(data_dir), "COLUMNS": "60"},
                cwd=REPO,
                timeout=_LIVENESS_SECONDS,
            )
            assert result.returncode == 2, (verb, result.stdout, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1, (verb, result.stderr)
            assert "POST /v1/documents" in lines[0] and "ENCLAVE_CHROMA_URL" in lines[0], lines[0]
        # With a Chroma server the owner lock is not asked for: this run gets as far as the (absent) server.
        dead_server = f"http://127.0.0.1:{free_port()}"
        served = subprocess.run(
            [sys.executable, "-m", "api.cli", "check", "--repair"],
            capture_output=True,
            text=True,
            env=_env(data_dir, ENCLAVE_CHROMA_URL=dead_server),
            cwd=REPO,
            timeout=_LIVENESS_SECONDS,
        )
        assert served.returncode == 2 and "cannot use the Chroma server" in served.stderr, served.stderr
        assert "POST /v1/documents" not in served.stderr
        assert _owner_lock_from_another_process(data_dir, ENCLAVE_CHROMA_URL=dead_server) == "owner"
        assert _owner_lock_from_another_process(data_dir).startswith("busy:")
    assert _owner_lock_from_another_process(data_dir) == "owner"


@pytest.fixture
def fresh_services(tmp_path: Path, redactor: Any, embedder: Any, generator: Any) -> Iterator[Any]:
    """Services of their own over a data dir of their own, sharing the session's models."""
    from api.services import Services

    data_dir = tmp_path / "data"
    services = Services.load(
        load_settings(data_dir=data_dir, lock_timeout_seconds=0),
        redactor=redactor,
        embedder=embedder,
        generator=generator,
    )
    assert services.pipeline.ingest_paths([small_folder(tmp_path)], "default").count("new") == 3
    try:
        yield services
    finally:
        services.close()


def test_a_server_owns_its_embedded_store_while_it_runs(fresh_services: Any) -> None:
    """Issue 34 item 10: a server on the embedded store holds the cross-process owner lock from its start to
    its shutdown: another process cannot take it meanwhile, and can afterwards."""
    from litestar.testing import TestClient

    from api.app import create_app

    data_dir = fresh_services.settings.data_dir
    assert _owner_lock_from_another_process(data_dir) == "owner"
    with TestClient(app=create_app(fresh_services)) as client:
        assert client.get("/readyz").status_code == 200
        assert _owner_lock_from_another_process(data_dir).startswith("busy:")
    assert _owner_lock_from_another_process(data_dir) == "owner"


# ---- item 17: what is opened is closed ----------------------------------------------------------------------


def _assert_closed(services: Any) -> None:
    with pytest.raises(sqlite3.ProgrammingError):
        services.ledger.entries()
    with pytest.raises(sqlite3.ProgrammingError):
        services.lexical.chunk_ids("default")
    # The retriever's lexical threads are gone: a search cannot be handed to them any more.
    with pytest.raises(RuntimeError, match="shutdown"):
        services.retriever.search("cafeteria opening hours", "default")
    with pytest.raises(StoreError):  # the Chroma client was let go
        services.store.collections()


def test_services_close_closes_what_load_opened(fresh_services: Any) -> None:
    """Issue 34 item 17: Services.close() closes the ledger's and the lexical index's connections and shuts
    the retriever's thread pool down; closing twice is harmless."""
    assert fresh_services.answers.search("When does the cafeteria open?", "default").hits
    fresh_services.close()
    _assert_closed(fresh_services)
    fresh_services.close()


def test_the_app_closes_its_services_on_shutdown(fresh_services: Any) -> None:
    """Issue 34 item 17: the app's shutdown hook closes the services it served; copies made with
    dataclasses.replace (tests serve the session's services that way) share them until the last is closed."""
    from dataclasses import replace

    from litestar.testing import TestClient

    from api.app import create_app

    with TestClient(app=create_app(replace(fresh_services))) as client:
        assert client.post("/v1/search", json={"query": "cafeteria"}).status_code == 200
    assert fresh_services.ledger.entries()  # a copy was closed; the services it came from were not
    with TestClient(app=create_app(fresh_services)) as client:
        assert client.post("/v1/search", json={"query": "cafeteria"}).status_code == 200
    _assert_closed(fresh_services)


_IMPORT_EVERYTHING = """
import sys
opened = []
sys.addaudithook(lambda event, args: opened.append(args) if event == "sqlite3.connect" else None)
import rag, rag.lexical, rag.lexical_tokens, rag.store, rag.retriever, rag.components
import ingest.ledger, ingest.pipeline, ingest.components, ingest.check, ingest.lock
import api.services, api.app, api.cli
print(len(opened))
from rag.lexical_tokens import fts_tokens
print(" ".join(fts_tokens("\u00c9lodie CAF\u00c9 na\u00efve")))
"""


def test_importing_the_packages_opens_no_sqlite_connection() -> None:
    """Issue 34 item 17: importing rag, ingest and api opens no SQLite connection (the lexical tokenizer's
    probe database was opened at import time and never closed); the probe, opened when first needed, still
    folds non-ASCII text as FTS5 does."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERYTHING],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(REPO / ".enclave-never-written"),
        timeout=_LIVENESS_SECONDS,
        check=True,
    )
    opened_at_import, folded = result.stdout.splitlines()
    assert opened_at_import == "0"
    assert folded == "elodie cafe naive"
