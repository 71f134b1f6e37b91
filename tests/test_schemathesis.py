"""Schemathesis against the live server's own OpenAPI schema: no 5xx, every error is problem details.

The server runs over a data dir of its own (uploads and deletes are fuzzed too). Routes that run the
language model get a few examples each; the others more.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from rag.settings import load_settings

from .conftest import make_pipeline, small_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
GENERATING = r"^/v1/(ask|tickets/|chat/)"
NO_HEALTH_CHECKS = list(HealthCheck)


@pytest.fixture(scope="module")
def fuzzed_server(
    tmp_path_factory: pytest.TempPathFactory, redactor: Any, embedder: Any, generator: Any
) -> Iterator[str]:
    import uvicorn

    from api.app import create_app
    from api.services import Services

    root = tmp_path_factory.mktemp("fuzz")
    data_dir = root / "data"
    make_pipeline(data_dir, redactor, embedder).ingest_paths([small_folder(root)], "default")
    services = Services.load(
        load_settings(data_dir=data_dir), redactor=redactor, embedder=embedder, generator=generator
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def operations(fuzzed_server: str) -> list[Any]:
    # Each operation is driven by its own Hypothesis loop here: schemathesis' pytest integration
    # (from_fixture) reads a node attribute pytest 9 no longer has.
    schema = schemathesis.openapi.from_url(f"{fuzzed_server}/schema/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def header(response: Any, name: str) -> str:
    """One header of a schemathesis response (its headers map lower-cased names to lists)."""
    value = response.headers.get(name.lower()) or response.headers.get(name) or ""
    return str(value[0] if isinstance(value, list) and value else value)


def check_response(case: Any) -> None:
    response = case.call(timeout=180)
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    if response.status_code >= 500:
        # The only 5xx on purpose: the generation queue is full (or the store is gone), with Retry-After.
        assert response.status_code == 503 and header(response, "retry-after"), where + " " + response.text[:300]
    if response.status_code >= 400:
        assert header(response, "content-type").startswith("application/problem+json"), where
        body = response.json()
        assert body["status"] == response.status_code and body["title"], where
        assert "Traceback" not in response.text, where


def fuzz(operations: list[Any], generating: bool, examples: int) -> dict[str, str]:
    """Failures by operation; every operation is fuzzed even when an earlier one fails."""
    failures: dict[str, str] = {}
    for operation in operations:
        if bool(re.match(GENERATING, operation.path)) != generating:
            continue

        calls: list[int] = []

        @settings(max_examples=examples, deadline=None, suppress_health_check=NO_HEALTH_CHECKS, database=None)
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            calls.append(1)  # noqa: B023  (run() is called within this iteration)
            check_response(case)

        try:
            run()
        except Exception as exc:  # the minimal failing example, kept per operation
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
        if not calls:  # the operation was really exercised (one example for routes without inputs)
            failures.setdefault(operation.label, "no request sent")
    return failures


def test_routes_never_answer_5xx_and_errors_are_problem_details(operations: list[Any]) -> None:
    assert len(operations) > 10
    assert fuzz(operations, generating=False, examples=25) == {}


def test_generating_routes_never_answer_5xx_and_errors_are_problem_details(operations: list[Any]) -> None:
    assert fuzz(operations, generating=True, examples=6) == {}


def test_what_fuzzing_found_is_now_a_400(fuzzed_server: str) -> None:
    """Regressions of what fuzzing found, checked directly."""
    import httpx

    # Labels sharing a first token, one with a control character: llama.cpp's grammar sampler crashed.
    labels = [" a\x08b", " a\x14c"]
    response = httpx.post(f"{fuzzed_server}/v1/tickets/classify", json={"text": "0", "labels": labels}, timeout=60)
    assert response.status_code == 400 and "printable" in response.json()["detail"]
    # A page number past 64-bit integers: OverflowError in SQLite, an invalid where clause in Chroma.
    for route, body in (("/v1/search", {"query": "cafeteria"}), ("/v1/ask", {"question": "cafeteria?"})):
        response = httpx.post(f"{fuzzed_server}{route}", json={**body, "page_max": 2**63}, timeout=60)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    # An empty multipart body: Litestar's typed multipart extractor answered it with a 500.
    for body in (b"", b"--X--\r\n"):
        response = httpx.post(
            f"{fuzzed_server}/v1/documents",
            content=body,
            headers={"content-type": "multipart/form-data; boundary=X"},
            timeout=60,
        )
        assert response.status_code == 400 and "no file" in response.json()["detail"], response.text
