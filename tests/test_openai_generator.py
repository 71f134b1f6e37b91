"""Generation through a real OpenAI-compatible server: llama-cpp-python's own, serving the bundled GGUF."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.components import load_generator
from rag.egress import allowed_hosts_from_env
from rag.errors import ConfigurationError, GeneratorUnavailableError
from rag.models import llm_file
from rag.openai_generator import OpenAICompatibleGenerator, validated_base_url
from rag.settings import Settings, load_settings
from rag.types import Completion

from .conftest import free_port, served


@pytest.fixture(scope="module")
def llm_server(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its base URL once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("llm-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(llm_file(base_settings)),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--seed", "0",
    ]  # fmt: skip
    with served(command, f"{url}/v1/models", log_path, timeout=120):
        yield url


@pytest.fixture(scope="module")
def remote(llm_server: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("remote"), llm_base_url=llm_server)
    generator = load_generator(settings)
    assert isinstance(generator, OpenAICompatibleGenerator)
    return generator


PROMPT = "Question: What colour is a clear daytime sky?\nAnswer:"


def test_completion_matches_the_in_process_model_on_the_same_gguf(remote: Any, generator: Any) -> None:
    # Both decode greedily from the same weights, so the texts agree.
    over_http = remote.complete(PROMPT, max_tokens=16, stop=["\n"])
    in_process = generator.complete(PROMPT, max_tokens=16, stop=["\n"])
    assert over_http.text.strip() and over_http.text == in_process.text
    assert over_http.prompt_tokens > 0 and over_http.completion_tokens > 0


def test_streaming_yields_pieces_then_the_completion(remote: Any) -> None:
    items = list(remote.stream(PROMPT, max_tokens=12, stop=["\n"]))
    pieces, final = items[:-1], items[-1]
    assert isinstance(final, Completion) and all(isinstance(piece, str) for piece in pieces)
    assert len(pieces) >= 2 and "".join(pieces) == final.text
    assert final.completion_tokens >= len(pieces) and final.first_token_seconds <= final.total_seconds


def test_a_constrained_choice_is_always_one_of_the_choices(remote: Any) -> None:
    choices = [" invoice", " password", " outage"]
    prompt = "Ticket: I was charged twice this month.\nCategory (invoice, password or outage):"
    assert remote.complete(prompt, max_tokens=8, choices=choices).text in choices
    assert remote.choice_probabilities(prompt, choices) is None  # so callers use the grammar


def test_the_api_answers_with_citations_through_the_server(
    remote: Any, ingested_sample: dict[str, Any], redactor: Any, embedder: Any, manifest: dict[str, Any]
) -> None:
    from litestar.testing import TestClient

    from api.app import create_app
    from api.services import Services

    settings = load_settings(data_dir=ingested_sample["data_dir"], llm_base_url=remote.base_url)
    services = Services.load(settings, redactor=redactor, embedder=embedder, generator=remote)
    document = next(doc for doc in manifest["documents"] if doc["facts"])
    question = document["facts"][0]["question"]
    with TestClient(app=create_app(services)) as client:
        response = client.post("/v1/ask", json={"question": question})
        classified = client.post(
            "/v1/tickets/classify", json={"text": "I was charged twice", "labels": ["billing", "login"]}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answered"] and body["answer"].strip()
    assert any(citation["source"].endswith(document["file"]) for citation in body["citations"])
    assert classified.status_code == 200 and classified.json()["label"] in ("billing", "login")


def test_an_unreachable_server_is_a_503_error(tmp_path: Path) -> None:
    generator = OpenAICompatibleGenerator(f"http://127.0.0.1:{free_port()}", model="x", timeout_seconds=5)
    with pytest.raises(GeneratorUnavailableError) as caught:
        generator.complete("hello", max_tokens=4)
    assert caught.value.status == 503
    with pytest.raises(GeneratorUnavailableError):
        list(generator.stream("hello", max_tokens=4))


@pytest.mark.parametrize(
    ("url", "allowed", "ok"),
    [
        ("http://127.0.0.1:8080", [], True),
        ("http://localhost:8080/", [], True),
        ("http://[::1]:8080", [], True),
        ("http://llm.internal:8000", ["llm.internal"], True),
        ("http://llm.internal:8000", [], False),
        ("https://api.openai.com", [], False),
        ("ftp://127.0.0.1", [], False),
        ("127.0.0.1:8080", [], False),
    ],
)
def test_the_base_url_must_be_loopback_or_allow_listed(url: str, allowed: list[str], ok: bool) -> None:
    if ok:
        assert validated_base_url(url, allowed) == url.rstrip("/")
    else:
        with pytest.raises(ConfigurationError):
            validated_base_url(url, allowed)


def test_the_egress_guard_lets_the_configured_server_through() -> None:
    hosts = allowed_hosts_from_env({**os.environ, "ENCLAVE_LLM_BASE_URL": "http://llm.internal:8000"})
    assert "llm.internal" in hosts
