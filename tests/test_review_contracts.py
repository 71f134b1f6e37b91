"""Contracts from the review of issue 34: search modes, unknown collections, configuration errors, store errors,
logged group failures and multi-part chat messages."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from typer.testing import CliRunner

from rag.errors import CollectionNotFoundError, StoreError
from rag.settings import load_settings
from rag.types import Chunk, Redaction

from .conftest import REPO, make_pipeline, small_folder
from .test_api import assert_problem
from .test_chroma_server import chroma_server

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HOTEL_QUERY = "hotel cap per night for expenses"


@pytest.fixture
def retriever(services: Any, embedder: Any) -> Iterator[Any]:
    """A retriever of our own over the sample store (the services' own is private to them)."""
    from rag.retriever import HybridRetriever

    own = HybridRetriever(embedder, services.store, services.lexical)
    yield own
    own.close()


def _results(response: Any) -> list[tuple[str, float]]:
    assert response.status_code == 200, response.text
    return [(r["chunk_id"], r["score"]) for r in response.json()["results"]]


def test_search_mode_reaches_the_retriever(client: Any, services: Any, retriever: Any) -> None:
    """Issue 34 item 11: POST /v1/search honours `mode` (lexical gives the lexical ranking), and a mode that is not
    hybrid, dense or lexical is a 400 problem."""
    from rag.retriever import SearchMode

    payload = {"query": HOTEL_QUERY, "top_k": 5}
    lexical = _results(client.post("/v1/search", json={**payload, "mode": "lexical"}))
    hybrid = _results(client.post("/v1/search", json={**payload, "mode": "hybrid"}))
    dense = _results(client.post("/v1/search", json={**payload, "mode": "dense"}))
    redacted = services.redactor.redact(HOTEL_QUERY).text
    for mode, found in ((SearchMode.LEXICAL, lexical), (SearchMode.HYBRID, hybrid), (SearchMode.DENSE, dense)):
        expected = retriever.search(redacted, "default", 5, mode=mode)
        assert found == [(hit.chunk_id, round(hit.score, 6)) for hit in expected], mode
    # BM25 scores, fused reciprocal ranks and cosine similarities: three different rankings.
    assert lexical != hybrid and dense != hybrid and lexical != dense

    invalid = assert_problem(client.post("/v1/search", json={**payload, "mode": "fuzzy"}), 400)
    assert any(error["key"] == "mode" for error in invalid["errors"])


def test_cli_search_mode_is_validated(tmp_path: Path) -> None:
    """Issue 34 item 11: `enclave search --mode` takes the same three modes; another one is a usage error."""
    from api.cli import app

    result = CliRunner().invoke(
        app, ["search", "leave", "--mode", "fuzzy"], env={"ENCLAVE_DATA_DIR": str(tmp_path / "data")}
    )
    assert result.exit_code == 2
    assert "fuzzy" in result.output and "hybrid" in result.output and "lexical" in result.output


def test_every_mode_refuses_an_unknown_collection(client: Any, retriever: Any, tmp_path: Path) -> None:
    """Issue 34 item 12: a lexical (like a dense or hybrid) search of an unknown collection raises
    CollectionNotFoundError: 404 in the API, exit code 2 and the message in the CLI."""
    from api.cli import app
    from rag.retriever import SearchMode

    for mode in SearchMode:
        with pytest.raises(CollectionNotFoundError, match="no collection named 'nope'"):
            retriever.search("leave policy", "nope", 3, mode=mode)
        body = assert_problem(
            client.post("/v1/search", json={"query": "leave", "collection": "nope", "mode": mode}), 404
        )
        assert body["detail"] == "no collection named 'nope'"

    env = {"ENCLAVE_DATA_DIR": str(tmp_path / "data")}
    for mode in SearchMode:
        result = CliRunner().invoke(app, ["search", "leave", "-c", "nope", "--mode", mode.value], env=env)
        assert result.exit_code == 2, (mode, result.output)
        assert "no collection named 'nope'" in result.output


BAD_TOP_K = {"ENCLAVE_TOP_K": "abc"}


@pytest.mark.parametrize("verb", [["documents"], ["search", "x"], ["keys", "list"], ["audit", "verify"], ["check"]])
def test_a_bad_setting_is_one_line_and_exit_code_2(verb: list[str], tmp_path: Path) -> None:
    """Issue 34 item 13: every verb answers a bad ENCLAVE_* value with one line naming the variable, exit code 2."""
    from api.cli import app

    result = CliRunner().invoke(app, verb, env={**BAD_TOP_K, "ENCLAVE_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 2, (result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ENCLAVE_TOP_K" in lines[0] and "integer" in lines[0], result.stderr
    assert "abc" not in lines[0]  # the value itself is not echoed: it could be a token


def test_a_bad_setting_prints_no_traceback(tmp_path: Path) -> None:
    """Issue 34 item 13: in a real process, a bad ENCLAVE_* value is one line on stderr and exit code 2."""
    env = {**os.environ, **BAD_TOP_K, "ENCLAVE_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "documents"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ENCLAVE_TOP_K" in lines[0], result.stderr


def _chunk(document_id: str, text: str) -> Chunk:
    return Chunk(
        chunk_id=f"{document_id}-0",
        document_id=document_id,
        source=f"{document_id}.txt",
        page=1,
        chunk_index=0,
        start=0,
        end=len(text),
        text=text,
        token_count=len(text.split()),
    )


def _store_calls(store: Any, vector: npt.NDArray[np.float32]) -> dict[str, Any]:
    return {
        "query": lambda: store.query("c", vector, 3),
        "upsert": lambda: store.upsert("c", [_chunk("d2", "Another note.")], vector[None, :]),
        "delete": lambda: store.delete_documents("c", ["d1"]),
        "embeddings": lambda: store.embeddings("c", ["d1-0"]),
    }


def test_a_collection_replaced_underneath_is_a_store_error(tmp_path: Path, embedder: Any) -> None:
    """Issue 34 item 14: Chroma's own errors in query, upsert and delete (here: our handle names a collection
    another client deleted and created again) become StoreError with Chroma's message as the cause."""
    from rag.components import open_store
    from rag.store import open_chroma_client

    settings = load_settings(data_dir=tmp_path / "data")
    store = open_store(settings)
    text = "The cafeteria opens at 07:30."
    vector = embedder.embed([text])[0]
    store.upsert("c", [_chunk("d1", text)], vector[None, :])
    assert [hit.chunk_id for hit in store.query("c", vector, 3)] == ["d1-0"]

    other = open_chroma_client(settings.store_dir)
    [name] = [c if isinstance(c, str) else c.name for c in other.list_collections()]
    for call, run in _store_calls(store, vector).items():
        store.count("c")  # the store holds a handle on the collection as it is now
        other.delete_collection(name)
        other.create_collection(name, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        with pytest.raises(StoreError) as raised:
            run()
        assert raised.value.cause and "does not exist" in raised.value.cause, call
        # The stale handle is dropped: the next call finds the collection as it now is.
        assert store.query("c", vector, 3) == []


def test_a_lost_chroma_server_is_a_store_error_and_503(
    tmp_path: Path, redactor: Any, embedder: Any, generator: Any
) -> None:
    """Issue 34 item 14: with the Chroma server gone, query, upsert and delete raise StoreError (not the HTTP
    client's exception), and the API answers a search with a 503 problem."""
    from litestar.testing import TestClient

    from api.app import create_app
    from api.services import Services

    with ExitStack() as server:
        url = server.enter_context(chroma_server(tmp_path / "server" / "db"))
        settings = load_settings(data_dir=tmp_path / "data", chroma_url=url)
        pipeline = make_pipeline(settings.data_dir, redactor, embedder, chroma_url=url)
        pipeline.ingest_paths([small_folder(tmp_path)], "c")
        services = Services.load(settings, redactor=redactor, embedder=embedder, generator=generator)
        store = services.store
        vector = embedder.embed(["cafeteria opening hours"])[0]
        with TestClient(app=create_app(services)) as client:
            search = {"query": "cafeteria opening hours", "collection": "c"}
            assert client.post("/v1/search", json=search).status_code == 200  # the services hold the collection
            assert store.query("c", vector, 3)  # and so does the store used below
            server.close()  # the Chroma server stops

            body = assert_problem(client.post("/v1/search", json=search), 503)
            assert body["title"] == "Store unavailable"
            for call, run in _store_calls(store, vector).items():
                with pytest.raises(StoreError) as raised:
                    run()
                assert raised.value.cause, call


class _GroupFailingRedactor:
    """The real redactor, except that its first call on more than one document raises."""

    def __init__(self, inner: Any, message: str) -> None:
        self._inner, self._message, self.failed = inner, message, False

    def redact(self, text: str, language: str | None = None) -> Redaction:
        result: Redaction = self._inner.redact(text, language)
        return result

    def redact_pages(self, pages: Sequence[str], language: str | None = None) -> list[Redaction]:
        result: list[Redaction] = self._inner.redact_pages(pages, language)
        return result

    def redact_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> list[list[Redaction]]:
        if len(documents) > 1 and not self.failed:
            self.failed = True
            raise RuntimeError(self._message)
        result: list[list[Redaction]] = self._inner.redact_documents(documents, languages)
        return result


class _GroupFailingEmbedder:
    """The real embedder (tokenizer included), except that its first embedding call raises."""

    def __init__(self, inner: Any, message: str) -> None:
        self._inner, self._message, self.failed = inner, message, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not self.failed:
            self.failed = True
            raise RuntimeError(self._message)
        result: npt.NDArray[np.float32] = self._inner.embed(texts)
        return result


def _logged(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and record.exc_info and message in str(record.exc_info[1])
    ]


def test_a_failed_group_redaction_is_logged(
    tmp_path: Path, redactor: Any, embedder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 34 item 15: when a group's redaction fails, its error is logged (warning, with the traceback, naming
    the group's documents) before the documents are retried one by one."""
    message = "group redaction exploded (a7c2)"
    failing = _GroupFailingRedactor(redactor, message)
    pipeline = make_pipeline(tmp_path / "data", failing, embedder)
    with caplog.at_level(logging.WARNING):
        report = pipeline.ingest_paths([small_folder(tmp_path)], "c")
    assert failing.failed and report.count("new") == 3  # the retry one by one succeeded
    [record] = _logged(caplog, message)
    assert all(name in record.getMessage() for name in ("memo.txt", "procedure.md", "ticket.eml"))


def test_a_failed_group_embedding_is_logged(
    tmp_path: Path, redactor: Any, embedder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 34 item 15: when a group's embedding fails, its error is logged (warning, with the traceback, naming
    the group's documents) before the documents are embedded one by one."""
    message = "group embedding exploded (b81d)"
    failing = _GroupFailingEmbedder(embedder, message)
    pipeline = make_pipeline(tmp_path / "data", redactor, failing)
    with caplog.at_level(logging.WARNING):
        report = pipeline.ingest_paths([small_folder(tmp_path)], "c")
    assert failing.failed and report.count("new") == 3
    [record] = _logged(caplog, message)
    assert all(name in record.getMessage() for name in ("memo.txt", "procedure.md", "ticket.eml"))


def test_openai_client_multi_part_messages(live_server: str) -> None:
    """Issue 34 item 16: the chat completions route accepts a message whose content is a list of text parts, as
    the official openai client sends it, and refuses an image part with a 400 saying so."""
    import openai
    from openai import OpenAI

    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)
    parts = ["How long did the payments API outage last?", "Answer in minutes."]
    in_parts = client.chat.completions.create(
        model="enclave-rag",
        messages=[{"role": "user", "content": [{"type": "text", "text": text} for text in parts]}],
    )
    # The parts are the question, joined by a line break: the same answer as the whole text in one string.
    whole = client.chat.completions.create(
        model="enclave-rag", messages=[{"role": "user", "content": "\n".join(parts)}]
    )
    assert in_parts.choices[0].message.content
    assert in_parts.choices[0].message.content == whole.choices[0].message.content
    citations = in_parts.model_extra["enclave"]["citations"]  # type: ignore[index]
    assert citations and citations[0]["source"] == "incident-report-2024-03.md"

    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="enclave-rag",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this picture?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    ],
                }
            ],
        )
    assert refused.value.status_code == 400
    detail = refused.value.response.json()["detail"]
    assert "'image_url'" in detail and "not supported" in detail and "'text'" in detail
