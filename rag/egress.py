"""The egress guard: inside an Enclave process, outbound connections go to loopback or nowhere.

Installed with ``sys.addaudithook`` before any library is imported, so it sees every
``socket.connect``, datagram sent to an address (``socket.sendto``/``sendmsg``) and name lookup made
through Python's socket module, whoever makes it. Anything but loopback and the configured Chroma
server (and generation server, and Dask scheduler and its workers) is refused with ``EgressRefusedError``
and logged. Its settings are read from the environment and the ``ENCLAVE_CONFIG`` file directly (the
environment wins, as for every setting): the guard must be up before the settings library itself is imported.

Sockets opened by native code that bypasses Python's socket module (a Rust or C++ client) raise no
audit event; Enclave's native dependencies open none (Chroma's embedded core works on files, model
runtimes compute only), and the socket-patch test in tests/test_egress.py is the second witness.

Modes (``ENCLAVE_EGRESS_GUARD``): ``on`` (default) refuses and logs; ``strict`` also makes the
process exit with status 75 if anything was refused; ``off`` installs nothing (the server logs it).
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import os
import socket
import sys
import threading
import time
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

logger = logging.getLogger("enclave.egress")
STRICT_EXIT_STATUS = 75
_LOOKUP_EVENTS = frozenset(
    {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"}
)
# Events whose second argument is the (host, port) a packet or connection goes to.
_ADDRESSED_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}


def is_loopback_host(host: str) -> bool:
    """Whether a host name or address names this machine (an empty host does not)."""
    name = host.split("%", 1)[0].strip("[]").lower()
    if name in _LOCAL_NAMES - {""}:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class EgressRefusedError(ConnectionRefusedError):
    """Raised inside the library that tried to reach the outside."""


class EgressGuard:
    def __init__(self, allowed_hosts: Iterable[str] = (), strict: bool = False) -> None:
        self.allowed_hosts = {host.lower() for host in allowed_hosts if host}
        self.strict = strict
        self.refused: list[str] = []
        self._lock = threading.Lock()
        self._inside = threading.local()
        self._allowed_addresses: set[str] = set()
        self._resolved_at = -1e9

    def allow(self, hosts: Iterable[str]) -> None:
        """Also let connections reach these hosts (the workers of a Dask cluster, known once it is reached)."""
        with self._lock:  # a new set: a lookup elsewhere may be iterating over the old one
            self.allowed_hosts = self.allowed_hosts | {host.lower() for host in hosts if host}
            self._resolved_at = -1e9  # resolve the names again at the next unknown address

    def is_allowed(self, host: Any) -> bool:
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        if host is None:
            return True
        name = str(host).split("%", 1)[0].strip("[]").lower()
        if name in _LOCAL_NAMES or name in self.allowed_hosts:
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event in _ADDRESSED_EVENTS:
            address = args[1]
            # Unix sockets (a str path) and non-IP families are local by nature; a sendmsg without an
            # address goes where the socket was connected, which was checked then.
            if not isinstance(address, tuple):
                return
            host = address[0]
        elif event in _LOOKUP_EVENTS:
            host = args[0]
        else:
            return
        if self.is_allowed(host):
            return
        if event in _ADDRESSED_EVENTS and self._resolves_to_allowed_host(str(host)):
            return
        target = f"{host}:{address[1]}" if event in _ADDRESSED_EVENTS else str(host)
        self._refuse(event, target)

    def _resolves_to_allowed_host(self, address: str) -> bool:
        """Whether an address is one the allowed host names (say ``chroma`` in compose) resolve to.

        Connections go to addresses, not names; the names are resolved again when an unknown address
        shows up, at most every few seconds.
        """
        if not self.allowed_hosts:
            return False
        if address in self._allowed_addresses:
            return True
        if getattr(self._inside, "resolving", False) or time.monotonic() - self._resolved_at < 5.0:
            return False
        self._inside.resolving = True
        try:
            addresses: set[str] = set()
            for host in self.allowed_hosts:
                try:
                    addresses.update(str(info[4][0]) for info in socket.getaddrinfo(host, None))
                except OSError:
                    continue
            self._allowed_addresses = addresses
            self._resolved_at = time.monotonic()
        finally:
            self._inside.resolving = False
        return address in self._allowed_addresses

    def _refuse(self, event: str, target: str) -> None:
        with self._lock:
            self.refused.append(f"{event} {target}")
        # Logging could itself touch a socket handler: never re-enter.
        if not getattr(self._inside, "active", False):
            self._inside.active = True
            try:
                logger.warning("egress refused: %s to %s", event, target)
            finally:
                self._inside.active = False
        raise EgressRefusedError(f"Enclave refuses outbound network access ({event} {target})")

    def exit_if_strict(self) -> None:
        if self.strict and self.refused:
            sys.stderr.write(f"enclave: {len(self.refused)} outbound attempt(s) refused: {self.refused[:5]}\n")
            sys.stderr.flush()
            os._exit(STRICT_EXIT_STATUS)


_installed: EgressGuard | None = None


def _setting(name: str, environ: Mapping[str, str], config: Mapping[str, Any]) -> str | None:
    """A setting as ``rag.settings`` would read it: ``ENCLAVE_<NAME>``, else the config file's ``name``."""
    value = environ.get(f"ENCLAVE_{name.upper()}")
    if value is None and config.get(name) is not None:
        value = str(config[name])
    return value


def config_file_values(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The ``ENCLAVE_CONFIG`` TOML file's values; empty without one. A broken file is the settings' error
    to report, with its full message, once they load: the guard then keeps its safe defaults."""
    path = environ.get("ENCLAVE_CONFIG")
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def allowed_hosts_from_env(
    environ: Mapping[str, str] = os.environ, config: Mapping[str, Any] | None = None
) -> list[str]:
    config = config_file_values(environ) if config is None else config
    hosts = []
    for name in ("chroma_url", "llm_base_url", "dask_scheduler"):
        url = _setting(name, environ, config)
        if url:
            hosts.append(urlparse(url).hostname or "")
    return hosts


def guard_mode(environ: Mapping[str, str] = os.environ, config: Mapping[str, Any] | None = None) -> str:
    """``on``, ``strict`` or ``off``; anything unrecognised counts as ``on``, never as off."""
    config = config_file_values(environ) if config is None else config
    mode = (_setting("egress_guard", environ, config) or "on").strip().lower()
    if mode in ("off", "0", "false", "no"):
        return "off"
    return "strict" if mode == "strict" else "on"


def install_from_env() -> EgressGuard | None:
    """Install the guard once per process, as the environment and config file say (None when off)."""
    global _installed
    if _installed is not None:
        return _installed
    config = config_file_values()
    mode = guard_mode(os.environ, config)
    if mode == "off":
        return None
    guard = EgressGuard(allowed_hosts_from_env(os.environ, config), strict=mode == "strict")
    sys.addaudithook(guard.audit)
    atexit.register(guard.exit_if_strict)
    _installed = guard
    return guard


def installed_guard() -> EgressGuard | None:
    return _installed
