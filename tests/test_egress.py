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

# Ingest, search, ask, classify (with the language model's vote, and with a trained label set) and summarize
# with the real components, as the server builds them.
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
from rag.label_training import LabelledTicket
from rag.tickets import ClassifyOptions
adhoc = ClassifyOptions(labels=["billing", "technical"], rerank_with_llm=True)
assert services.tickets.classify("Refund my double charge", adhoc).label
services.tickets.label_sets.create("egress", ["billing", "technical"])
examples = [("refund my double charge", "billing"), ("the VPN fails", "technical")] * 4
services.tickets.label_sets.train("egress", [LabelledTicket(text, label) for text, label in examples])
assert services.tickets.classify("I was charged twice", ClassifyOptions(labelset="egress")).label
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
real_sendto = socket.socket.sendto
def connect(self, address):
    if isinstance(address, tuple) and outside(address[0]):
        attempts.append(("connect", address[0]))
    return real_connect(self, address)
def sendto(self, data, *args):
    address = args[-1]
    if isinstance(address, tuple) and outside(address[0]):
        attempts.append(("sendto", address[0]))
    return real_sendto(self, data, *args)
def getaddrinfo(host, *args, **kwargs):
    if outside(host):
        attempts.append(("getaddrinfo", host))
    return real_getaddrinfo(host, *args, **kwargs)
socket.socket.connect = connect
socket.socket.sendto = sendto
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


def test_the_dask_scheduler_and_the_workers_it_names_are_allowed_and_nothing_else() -> None:
    from rag.egress import EgressGuard, allowed_hosts_from_env

    guard = EgressGuard(allowed_hosts_from_env({"ENCLAVE_DASK_SCHEDULER": "tls://scheduler.internal:8786"}))
    assert guard.is_allowed("scheduler.internal") and not guard.is_allowed("worker-1.internal")
    guard.allow(["worker-1.internal", "10.0.0.7"])  # as the Dask executor does once the scheduler lists them
    guard.audit("socket.connect", (None, ("10.0.0.7", 40123)))
    assert guard.is_allowed("worker-1.internal")
    assert not guard.is_allowed("10.0.0.8") and not guard.is_allowed("worker-2.internal")


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


def test_datagrams_to_the_outside_are_refused_too(tmp_path: Path) -> None:
    """UDP needs no connect: a DNS query sent by hand, or any datagram, goes through sendto."""
    probe = """
import socket
import api
from rag.egress import EgressRefusedError
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.sendto(b"x", ("198.51.100.7", 53))
    print("sent")
except EgressRefusedError:
    print("refused sendto")
local = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
local.bind(("127.0.0.1", 0))
udp.sendto(b"y", local.getsockname())
print("loopback", local.recv(1).decode())
"""
    result = _run(probe, tmp_path, "on")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["refused sendto", "loopback y"]
    assert "egress refused: socket.sendto to 198.51.100.7:53" in result.stderr


def test_the_config_file_sets_the_guard_and_the_environment_wins(tmp_path: Path) -> None:
    from rag.egress import allowed_hosts_from_env, guard_mode

    config = tmp_path / "enclave.toml"
    config.write_text('egress_guard = "off"\nchroma_url = "http://chroma.internal:8000"\n', encoding="utf-8")
    from_file = {"ENCLAVE_CONFIG": str(config)}
    assert guard_mode(from_file) == "off"
    assert allowed_hosts_from_env(from_file) == ["chroma.internal"]
    assert guard_mode({**from_file, "ENCLAVE_EGRESS_GUARD": "strict"}) == "strict"
    assert guard_mode({"ENCLAVE_EGRESS_GUARD": "of"}) == "on"  # a typo never turns it off
    config.write_text("egress_guard = [broken", encoding="utf-8")
    assert guard_mode(from_file) == "on"

    probe = """
import socket, api
try:
    socket.create_connection(("198.51.100.7", 443), timeout=1)
except OSError as exc:
    print(type(exc).__name__)
"""
    config.write_text('egress_guard = "strict"\n', encoding="utf-8")
    env = {**os.environ, "ENCLAVE_CONFIG": str(config), "ENCLAVE_DATA_DIR": str(tmp_path / "data")}
    env.pop("ENCLAVE_EGRESS_GUARD", None)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.strip() == "EgressRefusedError" and result.returncode == 75, result.stderr


@pytest.mark.parametrize("guard", ["off", "on"])
def test_serving_beyond_loopback_without_a_key_is_refused_saying_if_the_guard_is_off(
    tmp_path: Path, guard: str
) -> None:
    # Bound beyond loopback with no key, serve stops right after its first checks: no model is loaded.
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(tmp_path), "ENCLAVE_EGRESS_GUARD": guard}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--host", "0.0.0.0", "--port", "8799"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "refusing to start" in result.stderr and "enclave keys create" in result.stderr
    warned = "the egress guard is OFF" in result.stderr
    assert warned == (guard == "off"), result.stderr


def test_importing_openvino_sends_no_telemetry(tmp_path: Path) -> None:
    """OpenVINO's converter sends an event to Google Analytics when openvino is imported: not in Enclave."""
    probe = """
import sys
import api
import openvino
import openvino.tools.ovc.telemetry_utils as telemetry
print(telemetry.tm.__name__, "openvino_telemetry" in sys.modules and sys.modules["openvino_telemetry"] is not None)
"""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "ENCLAVE_DATA_DIR": str(tmp_path / "data"),
        "ENCLAVE_EGRESS_GUARD": "strict",
        "HOME": str(home),
    }
    env.pop("CI", None)  # its telemetry stays quiet in CI jobs on its own; the test is about everywhere else
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["openvino.tools.ovc.telemetry_stub", "False"]
    assert "refused" not in result.stderr
    assert not (home / "intel").exists()  # no consent folder written into the user's home either
