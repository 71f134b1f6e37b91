"""The token-checking gateway in front of a real ``chroma run`` server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.components import open_store
from rag.errors import StoreError
from rag.settings import load_settings
from rag.types import Chunk

from .test_chroma_server import GATEWAY_TOKEN, chroma_gateway, chroma_server


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("gw-chroma") / "db") as url:
        yield url


@pytest.fixture(scope="module")
def gateway(upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_gateway(upstream, tmp_path_factory.mktemp("gw")) as url:
        yield url


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-Chroma-Token": "wrong"}, {"Authorization": f"Basic {GATEWAY_TOKEN}"}],
    ids=["none", "wrong-bearer", "wrong-x-chroma-token", "not-bearer"],
)
def test_requests_without_the_token_are_refused(gateway: str, headers: dict[str, str]) -> None:
    status, response_headers, body = _get(f"{gateway}/api/v2/tenants/default_tenant/databases", headers)
    assert status == 401
    assert response_headers["content-type"] == "application/problem+json"
    assert response_headers["www-authenticate"] == "Bearer"
    assert json.loads(body)["status"] == 401


@pytest.mark.parametrize("header", ["Authorization", "X-Chroma-Token"])
def test_requests_with_the_token_reach_chroma(gateway: str, upstream: str, header: str) -> None:
    value = f"Bearer {GATEWAY_TOKEN}" if header == "Authorization" else GATEWAY_TOKEN
    path = "/api/v2/tenants/default_tenant/databases/default_database/collections"
    status, _, body = _get(f"{gateway}{path}", {header: value})
    direct_status, _, direct_body = _get(f"{upstream}{path}")
    assert (status, json.loads(body)) == (direct_status, json.loads(direct_body))
    assert status == 200


def test_liveness_needs_no_token(gateway: str) -> None:
    status, _, _ = _get(f"{gateway}/api/v2/heartbeat")
    assert status == 200


def test_the_store_works_through_the_gateway_and_fails_clearly_without_the_token(
    tmp_path: Path, gateway: str, upstream: str
) -> None:
    store = open_store(load_settings(data_dir=tmp_path, chroma_url=gateway, chroma_token=GATEWAY_TOKEN))
    chunk = Chunk(
        chunk_id="g1",
        document_id="d1",
        source="a.txt",
        page=1,
        chunk_index=0,
        start=0,
        end=4,
        text="text",
        token_count=1,
    )
    vector = np.ones((1, 8), dtype=np.float32) / np.sqrt(8)
    store.upsert("gw", [chunk], vector)
    # Really stored in the Chroma server behind the gateway.
    assert "gw" in open_store(load_settings(data_dir=tmp_path, chroma_url=upstream)).collections()
    with pytest.raises(StoreError):
        open_store(load_settings(data_dir=tmp_path, chroma_url=gateway, chroma_token="wrong")).collections()


def test_an_unreachable_upstream_is_a_502_problem(tmp_path: Path) -> None:
    with chroma_gateway("http://127.0.0.1:9", tmp_path) as url:
        status, headers, body = _get(f"{url}/api/v2/collections", {"Authorization": f"Bearer {GATEWAY_TOKEN}"})
    assert status == 502 and headers["content-type"] == "application/problem+json"
    assert "not reachable" in json.loads(body)["detail"]


def test_the_gateway_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENCLAVE_")}
    env.update(ENCLAVE_DATA_DIR=str(tmp_path), ENCLAVE_CHROMA_URL="http://127.0.0.1:9")
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "chroma-gateway", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "ENCLAVE_CHROMA_TOKEN" in result.stdout + result.stderr
