"""Zero egress: the guard refuses outbound connections, and the real work makes none."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.egress import EgressRefusedError

from .conftest import SAMPLE_DOCS

# Ingest, search, ask, classify and summarize with the real components, as the server builds them.
WORKLOAD = """
import sys
from pathlib import Path
import api  # the guard goes up here, as in every enclave process
from rag.settings import load_settings
from api.services import Services
services = Services.load(load_settings())
report = services.pipeline.ingest_paths([Path(sys.argv[1])], "default")
assert report.count("new") == 2, report.to_dict()
assert services.answers.search("payments outage", "default").hits
answer = services.answers.ask("How long did the payments API outage last?", "default")
assert answer.citations, answer
assert services.tickets.classify("Refund my double charge", ["billing", "technical"]).label
assert services.tickets.summarize("The VPN fails with error 809 since the update on all laptops.").summary
print("WORKLOAD DONE")
"""

# Records every non-loopback attempt instead of blocking it, with the guard off: a second witness.
RECORDER = """
import ipaddress, socket, sys
attempts = []
def outside(host):
    if isinstance(host, bytes):
        host = host.decode()
    if host in (None, "", "localhost"):
        return False
    try:
        return not ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return True
real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo
def connect(self, address):
    if isinstance(address, tuple) and outside(address[0]):
        attempts.append(("connect", address[0]))
    return real_connect(self, address)
def getaddrinfo(host, *args, **kwargs):
    if outside(host):
        attempts.append(("getaddrinfo", host))
    return real_getaddrinfo(host, *args, **kwargs)
socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
import atexit
atexit.register(lambda: print("ATTEMPTS", attempts))
"""


def _documents(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE_DOCS / "incident-report-2024-03.md", docs)
    shutil.copy(SAMPLE_DOCS / "ticket-1042.eml", docs)  # its e-mail addresses exercise tldextract
    return docs


def _run(code: str, tmp_path: Path, guard: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(tmp_path / f"data-{guard}"), "ENCLAVE_EGRESS_GUARD": guard}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path
    )


def test_the_whole_workload_makes_no_outbound_attempt_under_the_strict_guard(tmp_path: Path) -> None:
    result = _run(WORKLOAD, tmp_path, "strict", str(_documents(tmp_path)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WORKLOAD DONE" in result.stdout
    assert "refused" not in result.stderr


def test_the_whole_workload_makes_no_outbound_attempt_recorded_by_a_socket_patch(tmp_path: Path) -> None:
    result = _run(RECORDER + WORKLOAD, tmp_path, "off", str(_documents(tmp_path)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WORKLOAD DONE" in result.stdout
    assert "ATTEMPTS []" in result.stdout, result.stdout[-2000:]


def test_the_guard_refuses_and_strict_mode_fails_the_process(tmp_path: Path) -> None:
    probe = """
import socket
import api
from rag.egress import EgressRefusedError
for target in (("198.51.100.7", 443), ("example.com", 80)):
    try:
        socket.create_connection(target, timeout=2)
    except EgressRefusedError as exc:
        print("refused", target[0])
listener = socket.create_server(("127.0.0.1", 0))
socket.create_connection(listener.getsockname(), timeout=2).close()
print("loopback ok")
"""
    on = _run(probe, tmp_path, "on")
    assert on.returncode == 0, on.stderr
    assert on.stdout.splitlines() == ["refused 198.51.100.7", "refused example.com", "loopback ok"]
    assert "egress refused" in on.stderr

    strict = _run(probe, tmp_path, "strict")
    assert strict.returncode == 75
    assert "outbound attempt(s) refused" in strict.stderr


def test_the_configured_chroma_server_is_allowed() -> None:
    from rag.egress import EgressGuard, allowed_hosts_from_env

    guard = EgressGuard(allowed_hosts_from_env({"ENCLAVE_CHROMA_URL": "http://chroma.internal:8000"}))
    assert guard.is_allowed("chroma.internal")
    assert guard.is_allowed("127.0.0.1") and guard.is_allowed("::1") and guard.is_allowed("localhost")
    assert not guard.is_allowed("chroma.internal.evil.example") and not guard.is_allowed("10.0.0.5")


def test_addresses_of_the_allowed_chroma_host_are_allowed() -> None:
    """In compose, ENCLAVE_CHROMA_URL names a host ("chroma"); the connection goes to its address."""
    from rag.egress import EgressGuard

    guard = EgressGuard(["localhost"])
    resolved = {str(info[4][0]) for info in socket.getaddrinfo("localhost", None)}
    guard.audit("socket.connect", (None, (sorted(resolved)[0], 8000)))  # loopback anyway: allowed
    guard.allowed_hosts = {"my-chroma"}
    guard._allowed_addresses = {"172.18.0.2"}
    guard._resolved_at = time.monotonic()
    guard.audit("socket.connect", (None, ("172.18.0.2", 8000)))
    with pytest.raises(EgressRefusedError):
        guard.audit("socket.connect", (None, ("172.18.0.3", 8000)))
