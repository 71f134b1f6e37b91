"""Shared fixtures: real components with the small bundled models, loaded once per session."""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import rag  # noqa: F401  (offline switches before any model library is imported)
from rag.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = REPO / "sample_docs"
SHARED_PDFS = REPO.parent / "shared" / "data" / "pdfs"


MEMO = "Quarterly memo.\n\nThe cafeteria opens at 07:30 and closes at 15:00 on weekdays.\n"


def small_folder(tmp_path: Path) -> Path:
    """Three documents (text, Markdown, e-mail), one of them in a subfolder."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "memo.txt").write_text(MEMO, encoding="utf-8")
    shutil.copy(SAMPLE_DOCS / "procedure-backup.md", docs / "procedure.md")
    (docs / "sub").mkdir()
    shutil.copy(SAMPLE_DOCS / "ticket-1043.eml", docs / "sub" / "ticket.eml")
    return docs


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def served(
    command: list[str],
    probe_url: str,
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    any_status: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server ``command`` (output to ``log_path``); yield once ``probe_url`` answers 200 (any HTTP status
    with ``any_status``); stop it afterwards. The test fails, with the server's log, if it exits or stays mute."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    pytest.fail(f"{command[:3]} exited with {process.returncode}:\n{_log(log_path)}")
                try:
                    with urllib.request.urlopen(probe_url, timeout=2) as response:
                        if response.status == 200:
                            break
                except urllib.error.HTTPError:
                    if any_status:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{command[:3]} did not answer within {timeout:.0f} s:\n{_log(log_path)}")
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _log(path: Path) -> str:
    return path.read_text(errors="replace")


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
    """A pipeline over its own data dir that prepares in this process, sharing the session's loaded models."""
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


@pytest.fixture(scope="session")
def generator(base_settings: Settings) -> Any:
    from rag.components import load_generator

    return load_generator(base_settings)


@pytest.fixture(scope="session")
def services(ingested_sample: dict[str, Any], redactor: Any, embedder: Any, generator: Any) -> Any:
    """The API's services over the ingested sample documents, sharing the session's models."""
    from api.services import Services

    settings = load_settings(data_dir=ingested_sample["data_dir"])
    return Services.load(settings, redactor=redactor, embedder=embedder, generator=generator)


@pytest.fixture(scope="session")
def client(services: Any) -> Iterator[Any]:
    from litestar.testing import TestClient

    from api.app import create_app

    with TestClient(app=create_app(services)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server(services: Any) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread of this process."""
    import threading

    import uvicorn

    from api.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "live server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def secured(services: Any, tmp_path: Path) -> Iterator[tuple[Any, Any, Any]]:
    """The session's services with a keys file and an audit log of this test's own: (client, keys, audit)."""
    from dataclasses import replace

    from litestar.testing import TestClient

    from api.app import create_app
    from api.audit import AuditLog
    from api.keys import KeyStore

    keys = KeyStore(tmp_path / "keys.json")
    audit = AuditLog(tmp_path / "audit.jsonl")
    settings = services.settings.model_copy(update={"rate_limit_per_minute": 30})
    app = create_app(replace(services, keys=keys, audit=audit, settings=settings))
    with TestClient(app=app) as client:
        yield client, keys, audit


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
