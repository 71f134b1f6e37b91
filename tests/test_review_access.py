"""Security review, issue 34: the implicit local admin, private key files, the keyed audit chain, upload
name clashes and audit writes off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from api.audit import AuditLog
from api.keys import KeyStore

PROBLEM = "application/problem+json"
Build = Callable[..., tuple[Any, KeyStore, AuditLog]]


@pytest.fixture
def build(services: Any, tmp_path: Path) -> Iterator[Build]:
    """Apps over the session's services, each with a keys file and an audit log of this test's own.

    ``host`` is the address in the settings (what ``create_app`` defaults to); ``bind_host`` is passed to
    ``create_app`` when given."""
    from litestar.testing import TestClient

    from api.app import create_app

    with ExitStack() as stack:

        def make(
            host: str = "127.0.0.1", bind_host: str | None = None, audit: AuditLog | None = None
        ) -> tuple[Any, KeyStore, AuditLog]:
            keys = KeyStore(tmp_path / "keys.json")
            log = audit or AuditLog(tmp_path / "audit.jsonl")
            settings = services.settings.model_copy(update={"host": host, "rate_limit_per_minute": 0})
            served = replace(services, keys=keys, audit=log, settings=settings)
            app = create_app(served) if bind_host is None else create_app(served, bind_host=bind_host)
            client = stack.enter_context(TestClient(app=app))
            return client, keys, log

        yield make


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


@contextmanager
def _warnings(logger: str) -> Iterator[list[str]]:
    """The warnings ``logger`` says meanwhile (caught by a handler of its own: the app's logging set-up
    replaces the root handlers, pytest's among them)."""
    said: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    handler = Collect(logging.WARNING)
    logging.getLogger(logger).addHandler(handler)
    try:
        yield said
    finally:
        logging.getLogger(logger).removeHandler(handler)


def _lose_every_key(keys: KeyStore, how: str) -> None:
    if how == "revoke":
        for key in keys.keys():  # noqa: SIM118  (a KeyStore, not a dict)
            keys.revoke(key.id)
    elif how == "delete":
        keys.path.unlink()
    elif how == "empty":
        keys.path.write_text("", "utf-8")
    else:
        keys.path.write_text("[]", "utf-8")


# -- item 1: the implicit local admin ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["revoke", "delete", "empty", "empty-list"])
def test_a_server_reachable_from_elsewhere_without_an_active_key_refuses_everyone(build: Build, how: str) -> None:
    """Issue 34 item 1: bound beyond loopback, losing the last active key (revoked, keys.json deleted or
    emptied) refuses every data request with 401 and says why in the log, once, instead of opening the
    server to everyone as admin."""
    client, keys, audit = build(host="0.0.0.0")
    _, token = keys.create("admin", ["*"])
    assert client.get("/v1/documents", headers=auth(token)).status_code == 200
    _lose_every_key(keys, how)

    with _warnings("enclave") as warned:
        for _ in range(3):
            refused = client.get("/v1/documents")
            assert_problem(refused, 401)
            assert refused.headers["www-authenticate"].startswith("Bearer")
        assert_problem(client.get("/v1/admin/keys"), 401)
        assert_problem(client.get("/v1/documents", headers=auth(token)), 401)
        assert client.get("/healthz").status_code == 200
    said = [message for message in warned if "no active API key" in message]
    assert len(said) == 1, warned
    assert "0.0.0.0" in said[0]

    # Decided per request: a new key works at once, and no key still refuses the others.
    _, fresh = keys.create("reader", ["*"])
    assert client.get("/v1/documents", headers=auth(fresh)).status_code == 200
    assert_problem(client.get("/v1/documents"), 401)
    # The audit trail never shows a refused caller as the local admin.
    refused_by = {r["key_id"] for r in audit.records() if r["status"] == 401}
    assert refused_by and "local" not in refused_by


@pytest.mark.parametrize("how", ["never", "revoke", "delete", "empty"])
def test_a_loopback_server_without_an_active_key_serves_the_local_admin(build: Build, how: str) -> None:
    """Issue 34 item 1: the implicit local admin still exists for a server bound to loopback (decided from
    the address passed to create_app, whatever the settings say), with no key, all keys revoked, or the
    keys file deleted or emptied."""
    client, keys, _ = build(host="0.0.0.0", bind_host="127.0.0.1")
    if how != "never":
        keys.create("admin", ["*"])
        assert_problem(client.get("/v1/documents"), 401)
        _lose_every_key(keys, how)
    assert client.get("/v1/documents").status_code == 200
    assert client.get("/v1/admin/keys").status_code == 200
    assert client.get("/v1/me").json()["key_id"] == "local"


# -- item 2: keys.tmp is private from the start --------------------------------------------------------


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_keys_temporary_file_is_never_readable_by_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 34 item 2: the keys file's temporary copy is owner-only from its creation on, whatever the
    umask: its mode is observed when it is chmod-ed (if it is) and just before it is renamed into place."""
    seen: list[tuple[str, int]] = []
    target = tmp_path / "keys.json"

    def observe(path: Any, when: str) -> None:
        candidate = Path(os.fsdecode(path)) if isinstance(path, str | bytes | os.PathLike) else None
        if candidate is not None and candidate != target and candidate.exists():
            seen.append((when, stat.S_IMODE(candidate.stat().st_mode)))

    real_chmod, real_replace = os.chmod, Path.replace

    def chmod(path: Any, mode: int, *args: Any, **kwargs: Any) -> None:
        observe(path, "before chmod")
        real_chmod(path, mode, *args, **kwargs)

    def replace_(self: Path, other: Any) -> Path:
        observe(self, "before rename")
        return real_replace(self, other)

    monkeypatch.setattr(os, "chmod", chmod)
    monkeypatch.setattr(Path, "replace", replace_)
    with _umask(0):
        store = KeyStore(target)
        key, _ = store.create("admin", ["*"])
        store.revoke(key.id)
    assert any(when == "before rename" for when, _ in seen), seen
    assert all(mode & 0o077 == 0 for _, mode in seen), [(when, oct(mode)) for when, mode in seen]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name != "keys.json.lock"] == ["keys.json"]


# -- item 3: the audit chain is keyed ------------------------------------------------------------------


def _plain_hash(record: dict[str, Any], field: str) -> str:
    body = {k: v for k, v in record.items() if k != field}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


def _forge(log: AuditLog, change: Callable[[list[dict[str, Any]]], None], *, strip_macs: bool = False) -> None:
    """What someone who can rewrite the log and its head, but not read the key, can do: change records and
    recompute every hash of the chain with plain SHA-256 (optionally in the old, unkeyed format)."""
    records = [json.loads(line) for line in log.path.read_text().splitlines()]
    change(records)
    previous = "0" * 64
    for number, record in enumerate(records, start=1):
        if strip_macs:
            record.pop("mac", None)
            record.pop("mac_key", None)
        field = "mac" if "mac" in record else "hash"
        record["seq"], record["prev"] = number, previous
        record[field] = _plain_hash(record, field)
        previous = record[field]
    log.path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    head = json.loads(log.head_path.read_text())
    head.update(seq=len(records), hash=previous)
    if strip_macs:
        head.pop("mac", None)
        head.pop("mac_key", None)
    elif "mac" in head:
        head["mac"] = _plain_hash(head, "mac")
    log.head_path.write_text(json.dumps(head))


def _filled(tmp_path: Path, count: int = 4) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for n in range(count):
        log.append({"key_id": "k", "method": "POST", "route": "/v1/search", "status": 200, "n": n})
    assert log.verify() == []
    return log


def _set_status(records: list[dict[str, Any]]) -> None:
    records[1]["status"] = 201


@pytest.mark.parametrize(
    "change",
    [
        _set_status,
        lambda records: records.pop(1),
        lambda records: records.insert(2, {**records[1], "route": "/v1/ask"}),
        lambda records: records.reverse(),
        lambda records: records.pop(),
    ],
    ids=["changed", "removed", "inserted", "reordered", "cut"],
)
def test_audit_rewrites_with_recomputed_plain_hashes_are_detected(tmp_path: Path, change: Any) -> None:
    """Issue 34 item 3: records changed, removed, inserted, reordered or cut, with every hash of the chain
    and the head recomputed with plain SHA-256 (all one can do without the key), fail verification."""
    log = _filled(tmp_path)
    _forge(log, change)
    problems = log.verify()
    assert problems, "a rewrite with recomputed hashes went unnoticed"


def test_audit_downgrade_to_unkeyed_records_is_reported(tmp_path: Path) -> None:
    """Issue 34 item 3: records in the unkeyed format (as written before the audit key, or an attacker
    stripping the MACs) are reported as unkeyed, never verified."""
    log = _filled(tmp_path)
    _forge(log, _set_status, strip_macs=True)
    problems = log.verify()
    assert any("unkeyed" in problem for problem in problems), problems


def test_audit_key_is_private_apart_from_the_log_and_rotatable(tmp_path: Path) -> None:
    """Issue 34 item 3: the MAC key is created owner-only where it is configured (apart from the log),
    records name the key that signed them, old keys keep verifying after a rotation, and a log checked
    without its key fails."""
    key_path = tmp_path / "secrets" / "audit.key"
    with _umask(0):
        log = AuditLog(tmp_path / "logs" / "audit.jsonl", key_path=key_path)
        first = log.append({"key_id": "k", "route": "/v1/search", "status": 200})
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert not list((tmp_path / "logs").glob("*.key"))
    assert first["mac_key"] and len(first["mac"]) == 64
    key_text = key_path.read_text()
    assert first["mac"] != _plain_hash(first, "mac")

    new_id = log.rotate_key()
    assert new_id != first["mac_key"]
    second = log.append({"key_id": "k", "route": "/v1/ask", "status": 200})
    assert second["mac_key"] == new_id
    assert log.verify() == []
    assert any(r.get("event") == "audit key rotated" for r in log.records())

    # Someone else's key file (or none) proves nothing: the records do not verify against it.
    other = AuditLog(log.path, key_path=tmp_path / "elsewhere.key")
    assert other.verify()
    key_path.write_text(key_text)  # the key file from before the rotation: the newer key is unknown
    assert any(new_id in problem for problem in log.verify())


def test_enclave_audit_rotate_key_and_what_verify_proves(tmp_path: Path) -> None:
    """Issue 34 item 3: `enclave audit rotate-key` rotates the key (the key file set by
    ENCLAVE_AUDIT_KEY_PATH), `enclave audit verify` passes across the rotation, and its --help says what it
    proves and what it cannot."""
    key_path = tmp_path / "keydir" / "audit.key"
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(tmp_path / "data"), "ENCLAVE_AUDIT_KEY_PATH": str(key_path)}

    def enclave(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, env=env, timeout=120
        )

    log = AuditLog(tmp_path / "data" / "audit.jsonl", key_path=key_path)
    log.append({"key_id": "k", "method": "POST", "route": "/v1/ask", "status": 200})
    rotated = enclave("audit", "rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    log.append({"key_id": "k", "method": "POST", "route": "/v1/ask", "status": 200})
    verified = enclave("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "3 records" in verified.stderr
    assert len({r["mac_key"] for r in log.records()}) == 2

    helped = " ".join(enclave("audit", "verify", "--help").stdout.split())
    for words in ("without the key", "cannot", "key file", "whole log"):
        assert words in helped, helped


# -- item 4: uploads of the same name ------------------------------------------------------------------


def _documents(client: Any, token: str, collection: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.get(f"/v1/documents?collection={collection}", headers=auth(token)).json()[
        "documents"
    ]
    return listed


def test_an_upload_never_silently_replaces_a_document_of_the_same_name(build: Build) -> None:
    """Issue 34 item 4: a second upload of the same file name is refused with 409 unless the caller asks
    for replace=true; the audit trail says which key uploaded or was refused which file."""
    client, keys, audit = build()
    collection = "review-uploads"
    alice, alice_token = keys.create("ingester", [collection], label="alice")
    bob, bob_token = keys.create("ingester", [collection], label="bob")
    first = b"Alice's report. The pilot of the new badge readers starts on the east wing in April."
    second = b"Bob's report. The canteen will serve breakfast from seven on Mondays."
    url = f"/v1/documents?collection={collection}"
    document_id = ""
    try:
        created = client.post(url, files={"file": ("report.txt", first, "text/plain")}, headers=auth(alice_token))
        assert created.status_code == 201, created.text
        document_id = created.json()["documents"][0]["document_id"]
        before = _documents(client, alice_token, collection)

        clash = client.post(url, files={"file": ("report.txt", second, "text/plain")}, headers=auth(bob_token))
        body = assert_problem(clash, 409)
        assert "report.txt" in body["detail"] and "replace=true" in body["detail"]
        assert _documents(client, alice_token, collection) == before

        twice = client.post(
            url,
            files=[("a", ("memo.txt", first, "text/plain")), ("b", ("memo.txt", second, "text/plain"))],
            headers=auth(bob_token),
        )
        assert_problem(twice, 409)
        assert [d["source"] for d in _documents(client, alice_token, collection)] == ["report.txt"]

        replaced = client.post(
            url + "&replace=true", files={"file": ("report.txt", second, "text/plain")}, headers=auth(bob_token)
        )
        assert replaced.status_code == 201, replaced.text
        assert replaced.json()["documents"][0]["status"] == "changed"
        hits = client.post(
            "/v1/search", json={"query": "canteen breakfast", "collection": collection}, headers=auth(bob_token)
        ).json()["results"]
        assert hits and "breakfast" in hits[0]["text"]
    finally:
        if document_id:
            client.delete(f"/v1/documents/{document_id}?collection={collection}", headers=auth(alice_token))

    uploads = [r for r in audit.records() if r["route"] == "/v1/documents" and r["method"] == "POST"]
    assert [(r["key_id"], r["status"]) for r in uploads] == [
        (alice.id, 201),
        (bob.id, 409),
        (bob.id, 409),
        (bob.id, 201),
    ]
    assert uploads[0]["documents"] == [
        {"source": "report.txt", "document_id": document_id, "status": "new", "chunks": 1}
    ]
    assert uploads[1]["documents"] == [{"source": "report.txt", "document_id": document_id, "status": "conflict"}]
    assert uploads[3]["replace"] is True
    assert uploads[3]["documents"][0]["status"] == "changed"
    assert uploads[3]["documents"][0]["document_id"] == document_id
    assert audit.verify() == []


# -- item 7: the audit record is written off the event loop ---------------------------------------------


class _WatchedAuditLog(AuditLog):
    """Our own AuditLog, noting where each append runs."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.appends: list[tuple[str, bool]] = []

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        self.appends.append((threading.current_thread().name, on_loop))
        return super().append(entry)


def test_audit_records_are_written_off_the_event_loop(build: Build, tmp_path: Path) -> None:
    """Issue 34 item 7: the middleware's audit append (lock, write, fsync) runs in a worker thread, not on
    the event loop, and every request's record is still there and verifiable."""
    log = _WatchedAuditLog(tmp_path / "watched.jsonl")
    client, keys, _ = build(audit=log)
    _, token = keys.create("reader", ["*"])
    statuses = [
        client.get("/v1/collections", headers=auth(token)).status_code,
        client.post("/v1/search", json={"query": "hotel cap"}, headers=auth(token)).status_code,
        client.get("/v1/collections").status_code,
        client.get("/v1/admin/keys", headers=auth(token)).status_code,
    ]
    assert statuses == [200, 200, 401, 403]
    assert len(log.appends) == 4
    assert not any(on_loop for _, on_loop in log.appends), log.appends
    assert [r["status"] for r in log.records()] == statuses
    assert log.verify() == []
