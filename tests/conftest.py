"""Shared fixtures: real components with the small bundled models, loaded once per session."""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rag  # noqa: F401  (offline switches before any model library is imported)
from rag.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = REPO / "sample_docs"
SHARED_PDFS = REPO.parent / "shared" / "data" / "pdfs"


class OutboundConnectionBlocked(RuntimeError):
    pass


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _block_outbound_sockets() -> Iterator[None]:
    """Tests run with outbound sockets blocked: anything but loopback raises."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise OutboundConnectionBlocked(f"outbound connection to {address!r} blocked in tests")
        return original_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise OutboundConnectionBlocked(f"outbound connection to {address!r} blocked in tests")
        return original_connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise OutboundConnectionBlocked(f"name lookup of {host!r} blocked in tests")
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo
    yield
    socket.socket.connect = original_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = original_getaddrinfo


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO / "tests" / "data" / "sample_docs_manifest.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="session")
def personal_values(manifest: dict[str, Any]) -> list[str]:
    return [value for doc in manifest["documents"] for value in doc["personal_values"]]


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def redactor(base_settings: Settings) -> Any:
    from ingest.components import build_redactor

    return build_redactor(base_settings)


@pytest.fixture(scope="session")
def embedder(base_settings: Settings) -> Any:
    from rag.components import load_embedder

    return load_embedder(base_settings)


def make_pipeline(data_dir: Path, redactor: Any, embedder: Any, **overrides: Any) -> Any:
    """A pipeline over its own data dir, sharing the session's loaded models."""
    from ingest.components import build_pipeline
    from rag.components import open_store

    settings = load_settings(data_dir=data_dir, **overrides)
    return build_pipeline(settings, redactor=redactor, embedder=embedder, store=open_store(settings))


@pytest.fixture
def pipeline_factory(tmp_path: Path, redactor: Any, embedder: Any) -> Any:
    def factory(**overrides: Any) -> Any:
        return make_pipeline(tmp_path / "data", redactor, embedder, **overrides)

    return factory


@pytest.fixture(scope="session")
def ingested_sample(tmp_path_factory: pytest.TempPathFactory, redactor: Any, embedder: Any) -> dict[str, Any]:
    """sample_docs/ ingested once into a data dir of its own (a copy, so tests may not touch the repo)."""
    root = tmp_path_factory.mktemp("sample")
    docs = root / "sample_docs"
    shutil.copytree(SAMPLE_DOCS, docs)
    data_dir = root / "data"
    pipeline = make_pipeline(data_dir, redactor, embedder)
    report = pipeline.ingest_paths([docs], "default")
    return {"data_dir": data_dir, "docs": docs, "report": report, "pipeline": pipeline}
