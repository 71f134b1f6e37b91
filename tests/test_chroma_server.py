"""Chroma server mode: the store, ingestion and forgetting against a real ``chroma run`` server.

Each test runs twice, on the embedded store and on a Chroma server started from the installed
``chromadb`` package on a loopback port, so that both modes are held to the same behaviour.
"""

from __future__ import annotations

import http.client
import os
import sys
import tarfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.components import open_store
from rag.errors import StoreError
from rag.lexical import LexicalIndex
from rag.retriever import HybridRetriever
from rag.settings import load_settings

from .conftest import MEMO, free_port, make_pipeline, served, small_folder

CHROMA = Path(sys.executable).parent / "chroma"


@contextmanager
def chroma_server(db: Path) -> Iterator[str]:
    """``chroma run`` on a free loopback port, persisting in ``db``; yields its URL once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(CHROMA), "run", "--path", str(db), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with served(command, f"{url}/api/v2/heartbeat", db.parent / f"{db.name}.log", env=env):
        yield url


@contextmanager
def _no_server() -> Iterator[str | None]:
    """Stands for ``chroma_server`` when the store is embedded."""
    yield None


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "db") as url:
        yield url


GATEWAY_TOKEN = "gateway-test-token-3f9c"


@contextmanager
def chroma_gateway(upstream: str, log_dir: Path, token: str = GATEWAY_TOKEN) -> Iterator[str]:
    """``enclave chroma-gateway`` in front of ``upstream`` on a free loopback port; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "api.cli", "chroma-gateway", "--port", str(port)]
    env = {**os.environ, "ENCLAVE_CHROMA_URL": upstream, "ENCLAVE_CHROMA_TOKEN": token}
    # Any answer will do: with its upstream down the gateway answers 502, which is what some tests want.
    with served(command, f"{url}/api/v2/heartbeat", log_dir / f"gateway-{port}.log", env=env, any_status=True):
        yield url


@pytest.fixture(scope="module")
def gateway_url(chroma_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_gateway(chroma_url, tmp_path_factory.mktemp("gateway")) as url:
        yield url


@pytest.fixture(params=["embedded", "server", "gateway"])
def mode(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings overrides of the store mode under test: embedded, a Chroma server, or one behind the gateway."""
    if request.param == "server":
        return {"chroma_url": request.getfixturevalue("chroma_url")}
    if request.param == "gateway":
        return {"chroma_url": request.getfixturevalue("gateway_url"), "chroma_token": GATEWAY_TOKEN}
    return {}


@pytest.fixture
def collection() -> str:
    """A collection of its own per test: the server is shared by the whole module."""
    return f"t-{uuid.uuid4().hex[:12]}"


def _pipeline(tmp_path: Path, redactor: Any, embedder: Any, mode: dict[str, Any]) -> Any:
    return make_pipeline(tmp_path / "data", redactor, embedder, **mode)


def test_server_mode_keeps_no_vectors_in_the_data_dir(
    tmp_path: Path, redactor: Any, embedder: Any, chroma_url: str, collection: str
) -> None:
    pipeline = _pipeline(tmp_path, redactor, embedder, {"chroma_url": chroma_url})
    report = pipeline.ingest_paths([small_folder(tmp_path)], collection)
    assert report.count("new") == 3
    settings = load_settings(data_dir=tmp_path / "data", chroma_url=chroma_url)
    # Vectors live in the server; the ledger and the lexical index stay in the data dir.
    assert not settings.store_dir.exists()
    assert settings.ledger_path.is_file() and settings.lexical_path.is_file()
    assert collection in open_store(settings).collections()


def test_rerun_is_idempotent(
    tmp_path: Path, redactor: Any, embedder: Any, mode: dict[str, Any], collection: str
) -> None:
    docs = small_folder(tmp_path)
    pipeline = _pipeline(tmp_path, redactor, embedder, mode)
    first = pipeline.ingest_paths([docs], collection)
    assert first.count("new") == 3 and first.chunks_written > 0
    ids = sorted(pipeline.store.chunk_ids(collection))
    assert len(ids) == first.chunks_written == pipeline.store.count(collection)

    second = pipeline.ingest_paths([docs], collection)
    assert second.count("skipped") == 3 and second.chunks_written == 0
    assert sorted(pipeline.store.chunk_ids(collection)) == ids


def test_changed_file_replaces_its_chunks(
    tmp_path: Path, redactor: Any, embedder: Any, mode: dict[str, Any], collection: str
) -> None:
    docs = small_folder(tmp_path)
    pipeline = _pipeline(tmp_path, redactor, embedder, mode)
    pipeline.ingest_paths([docs], collection)
    before = pipeline.store.get_chunks(collection, where={"source": "memo.txt"})
    assert before and all("07:30" in chunk.text for chunk in before)

    (docs / "memo.txt").write_text(MEMO.replace("07:30", "08:15"), encoding="utf-8")
    report = pipeline.ingest_paths([docs], collection)
    assert report.count("changed") == 1 and report.count("skipped") == 2
    after = pipeline.store.get_chunks(collection, where={"source": "memo.txt"})
    assert len(after) == len(before)
    assert {c.chunk_id for c in after}.isdisjoint({c.chunk_id for c in before})
    assert all("08:15" in c.text and "07:30" not in c.text for c in after)
    all_ids = pipeline.store.chunk_ids(collection)
    assert len(all_ids) == len(set(all_ids))


def test_prune_and_forget_remove_everything(
    tmp_path: Path, redactor: Any, embedder: Any, mode: dict[str, Any], collection: str
) -> None:
    docs = small_folder(tmp_path)
    pipeline = _pipeline(tmp_path, redactor, embedder, mode)
    pipeline.ingest_paths([docs], collection)
    ticket = next(e for e in pipeline.ledger.entries(collection=collection) if e.source == "sub/ticket.eml")

    (docs / "sub" / "ticket.eml").unlink()
    pruned = pipeline.ingest_paths([docs], collection, prune=True)
    assert [o.source for o in pruned.outcomes if o.status == "forgotten"] == ["sub/ticket.eml"]
    assert pipeline.store.chunk_ids(collection, ticket.document_id) == []
    assert pipeline.ledger.get(collection, ticket.document_id) is None

    outcomes = pipeline.forget_paths([docs], collection)
    assert sorted(o.source for o in outcomes) == ["memo.txt", "procedure.md"]
    assert pipeline.store.count(collection) == 0
    assert pipeline.store.chunk_ids(collection) == []
    assert pipeline.ledger.entries(collection=collection) == []
    assert pipeline.lexical.search(collection, "cafeteria backup", 10) == []


def test_reopened_store_returns_every_chunk(
    tmp_path: Path, redactor: Any, embedder: Any, mode: dict[str, Any], collection: str
) -> None:
    pipeline = _pipeline(tmp_path, redactor, embedder, mode)
    pipeline.ingest_paths([small_folder(tmp_path)], collection)
    written = {hit.chunk_id: hit for hit in pipeline.store.get_chunks(collection)}
    vectors = pipeline.store.embeddings(collection, list(written))

    reopened = open_store(load_settings(data_dir=tmp_path / "data", **mode))
    assert collection in reopened.collections()
    again = {hit.chunk_id: hit for hit in reopened.get_chunks(collection)}
    assert again.keys() == written.keys()
    for chunk_id, hit in again.items():
        assert hit.text == written[chunk_id].text
        assert hit.metadata == written[chunk_id].metadata
    reopened_vectors = reopened.embeddings(collection, list(written))
    for chunk_id, vector in vectors.items():
        assert np.allclose(reopened_vectors[chunk_id], vector, atol=1e-6)


def test_hybrid_search_finds_the_fact(
    tmp_path: Path, redactor: Any, embedder: Any, mode: dict[str, Any], collection: str
) -> None:
    pipeline = _pipeline(tmp_path, redactor, embedder, mode)
    pipeline.ingest_paths([small_folder(tmp_path)], collection)
    settings = load_settings(data_dir=tmp_path / "data", **mode)
    retriever = HybridRetriever(embedder, open_store(settings), LexicalIndex(settings.lexical_path))

    for search_mode in ("hybrid", "dense"):
        hits = retriever.search("When does the cafeteria open?", collection, top_k=3, mode=search_mode)
        assert hits[0].source == "memo.txt", search_mode
        assert "07:30" in hits[0].text
        assert float(hits[0].metadata["similarity"]) > 0.3


def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError, match=r"cannot use the Chroma server at 127\.0\.0\.1"):
        open_store(settings)


class _TokenGate(BaseHTTPRequestHandler):
    """A reverse proxy that forwards only requests bearing the expected token (as a gateway in front
    of Chroma would), and records the Authorization headers it saw."""

    upstream: tuple[str, int]
    token: str
    seen: list[str | None]

    def _forward(self) -> None:
        authorization = self.headers.get("Authorization")
        self.seen.append(authorization)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if authorization != f"Bearer {self.token}":
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            payload = b'{"error": "Unauthorized", "message": "missing or wrong token"}'
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization", "connection")}
        connection.request(self.command, self.path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def test_the_token_is_sent_as_a_bearer_header(
    tmp_path: Path, redactor: Any, embedder: Any, chroma_url: str, collection: str
) -> None:
    host, port = chroma_url.removeprefix("http://").split(":")
    seen: list[str | None] = []
    handler = type("Gate", (_TokenGate,), {"upstream": (host, int(port)), "token": "s3cret-token", "seen": seen})
    gate = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=gate.serve_forever, daemon=True).start()
    gate_url = f"http://127.0.0.1:{gate.server_address[1]}"
    try:
        with pytest.raises(StoreError):
            open_store(load_settings(data_dir=tmp_path / "refused", chroma_url=gate_url, chroma_token="wrong"))
        with pytest.raises(StoreError):
            open_store(load_settings(data_dir=tmp_path / "refused", chroma_url=gate_url))
        seen.clear()

        pipeline = _pipeline(tmp_path, redactor, embedder, {"chroma_url": gate_url, "chroma_token": "s3cret-token"})
        report = pipeline.ingest_paths([small_folder(tmp_path)], collection)
        assert report.count("new") == 3
        assert seen and set(seen) == {"Bearer s3cret-token"}
        # What went through the gate is in the server behind it.
        direct = open_store(load_settings(data_dir=tmp_path / "direct", chroma_url=chroma_url))
        assert direct.count(collection) == report.chunks_written
    finally:
        gate.shutdown()
        gate.server_close()


def test_the_api_reports_the_server_and_its_loss(
    tmp_path: Path, redactor: Any, embedder: Any, generator: Any, collection: str
) -> None:
    from litestar.testing import TestClient

    from api.app import create_app
    from api.services import Services

    with chroma_server(tmp_path / "own-server" / "db") as url:
        settings = load_settings(data_dir=tmp_path / "data", chroma_url=url)
        pipeline = make_pipeline(settings.data_dir, redactor, embedder, chroma_url=url)
        pipeline.ingest_paths([small_folder(tmp_path)], collection)
        services = Services.load(settings, redactor=redactor, embedder=embedder, generator=generator)
        with TestClient(app=create_app(services)) as client:
            assert client.get("/readyz").status_code == 200
            listed = {c["name"]: c for c in client.get("/v1/collections").json()["collections"]}
            assert listed[collection]["documents"] == 3 and listed[collection]["chunks"] > 0
            found = client.post("/v1/search", json={"query": "cafeteria opening hours", "collection": collection})
            assert found.status_code == 200 and found.json()["results"][0]["source"] == "memo.txt"
    # The server is gone: readiness says so (a problem document, no traceback), liveness does not care.
    with TestClient(app=create_app(services)) as client:
        gone = client.get("/readyz")
        assert gone.status_code == 503
        assert gone.headers["content-type"].startswith("application/problem+json")
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("server", [False, True], ids=["embedded", "server"])
def test_backup_and_restore_of_the_data_dir_and_the_chroma_volume(
    tmp_path: Path, redactor: Any, embedder: Any, server: bool, collection: str
) -> None:
    """docs/operations.md's procedure: stop the writers, archive both places together, restore, check."""
    docs = small_folder(tmp_path)
    live = tmp_path / "live"
    with chroma_server(live / "chroma") if server else _no_server() as url:
        mode = {"chroma_url": url} if url else {}
        pipeline = make_pipeline(live / "data", redactor, embedder, **mode)
        pipeline.ingest_paths([docs], collection)
        written = sorted(pipeline.store.chunk_ids(collection))
        ledger = [(e.source, e.content_hash, e.chunk_count) for e in pipeline.ledger.entries(collection=collection)]
        pipeline.ledger.close()
        pipeline.lexical.close()
    # The server has stopped (as `docker compose stop` would): archive data dir and Chroma's files.
    archive = tmp_path / "backup.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(live / "data", arcname="data", filter=lambda m: None if m.name.startswith("data/models") else m)
        if server:
            tar.add(live / "chroma", arcname="chroma")
    restored = tmp_path / "restored"
    with tarfile.open(archive) as tar:
        tar.extractall(restored, filter="data")
    assert not (restored / "data" / "models").exists()

    with chroma_server(restored / "chroma") if server else _no_server() as url:
        mode = {"chroma_url": url} if url else {}
        again = make_pipeline(restored / "data", redactor, embedder, **mode)
        assert sorted(again.store.chunk_ids(collection)) == written
        assert [
            (e.source, e.content_hash, e.chunk_count) for e in again.ledger.entries(collection=collection)
        ] == ledger
        # Ledger and store agree: nothing to redo, and both rankings find the fact.
        report = again.ingest_paths([docs], collection)
        assert report.count("skipped") == 3 and report.chunks_written == 0
        settings = load_settings(data_dir=restored / "data", **mode)
        retriever = HybridRetriever(embedder, again.store, LexicalIndex(settings.lexical_path))
        for search_mode in ("dense", "lexical"):
            hits = retriever.search("When does the cafeteria open?", collection, top_k=1, mode=search_mode)
            assert hits[0].source == "memo.txt", search_mode
