"""API keys, scopes, rate limits and the hash-chained audit trail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.audit import AuditLog
from api.keys import KeyStore

from .conftest import auth

PROBLEM = "application/problem+json"


def test_keys_file_holds_only_salted_hashes(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    key, token = store.create("reader", ["hr", "default"], label="helpdesk")
    other, other_token = store.create("reader", ["hr"])
    content = (tmp_path / "keys.json").read_text()
    assert token.split("_", 2)[2] not in content and other_token.split("_", 2)[2] not in content
    records = json.loads(content)
    assert records[0]["salt"] != records[1]["salt"]
    assert store.verify(token) == key and store.verify(other_token) == other
    assert store.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.verify("enc_nothing_here") is None and store.verify("garbage") is None
    store.revoke(key.id)
    assert store.verify(token) is None and store.verify(other_token) == other
    assert oct((tmp_path / "keys.json").stat().st_mode)[-3:] == "600"


def test_every_route_but_health_needs_a_valid_key(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, _ = secured
    assert client.post("/v1/search", json={"query": "leave"}).status_code == 200  # no key yet: local open mode
    _, token = keys.create("reader", ["default"])

    missing = client.post("/v1/search", json={"query": "leave"})
    assert missing.status_code == 401 and missing.headers["content-type"].startswith(PROBLEM)
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert client.post("/v1/search", json={"query": "leave"}, headers=auth("enc_bad_token")).status_code == 401
    assert client.get("/schema/openapi.json").status_code == 401
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200

    assert client.post("/v1/search", json={"query": "leave"}, headers=auth(token)).status_code == 200
    assert client.post("/v1/search", json={"query": "leave"}, headers={"X-API-Key": token}).status_code == 200


def test_keys_see_only_their_collections_and_verbs(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, _ = secured
    _, reader = keys.create("reader", ["default"])
    _, hr_reader = keys.create("reader", ["hr"])
    _, ingester = keys.create("ingester", ["scratch"])

    outside = client.post("/v1/search", json={"query": "leave"}, headers=auth(hr_reader))
    assert outside.status_code == 403 and outside.headers["content-type"].startswith(PROBLEM)
    assert "collection 'default'" in outside.json()["detail"]
    assert client.post("/v1/ask", json={"question": "leave?"}, headers=auth(hr_reader)).status_code == 403

    upload = {"file": ("memo.txt", b"The scratch memo says the lab opens at nine.", "text/plain")}
    assert client.post("/v1/documents?collection=default", files=upload, headers=auth(reader)).status_code == 403
    created = client.post("/v1/documents?collection=scratch", files=upload, headers=auth(ingester))
    assert created.status_code == 201, created.text

    names = [c["name"] for c in client.get("/v1/collections", headers=auth(reader)).json()["collections"]]
    assert names == ["default"]
    listed = client.get("/v1/documents", headers=auth(ingester)).json()["documents"]
    assert {d["collection"] for d in listed} == {"scratch"}
    document_id = created.json()["documents"][0]["document_id"]
    deleted = client.delete(f"/v1/documents/{document_id}?collection=scratch", headers=auth(ingester))
    assert deleted.status_code == 200


def test_revoked_keys_are_refused(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, _ = secured
    key, token = keys.create("reader", ["*"])
    assert client.post("/v1/search", json={"query": "leave"}, headers=auth(token)).status_code == 200
    keys.revoke(key.id)
    keys.create("admin", ["*"])
    assert client.post("/v1/search", json={"query": "leave"}, headers=auth(token)).status_code == 401


def test_rate_limit_per_key(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, _ = secured
    _, first = keys.create("reader", ["*"])
    _, second = keys.create("reader", ["*"])
    statuses = [client.get("/v1/collections", headers=auth(first)).status_code for _ in range(32)]
    assert statuses[:30] == [200] * 30 and statuses[-1] == 429
    limited = client.get("/v1/collections", headers=auth(first))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"].startswith(PROBLEM)
    assert client.get("/v1/collections", headers=auth(second)).status_code == 200


def test_audit_records_what_was_asked_without_personal_data(
    secured: tuple[Any, KeyStore, AuditLog], personal_values: list[str]
) -> None:
    client, keys, audit = secured
    key, token = keys.create("reader", ["default"])
    client.post("/v1/ask", json={"question": "Did Harriet Lindqvist approve the hotel cap?"}, headers=auth(token))
    client.post("/v1/search", json={"query": "Email priya.raghunathan@example.com about claims"}, headers=auth(token))
    client.post("/v1/search", json={"query": "x", "collection": "hr"}, headers=auth(token))
    client.post(
        "/v1/tickets/classify",
        headers=auth(token),
        json={"text": "Daniel Okafor, card 4111 1111 1111 1111, was charged twice", "labels": ["a", "b"]},
    )
    # Someone types a personal value where a document id goes.
    client.delete("/v1/documents/daniel.okafor@example.com?collection=default", headers=auth(token))

    records = list(audit.records())
    assert [(r["route"], r["status"]) for r in records] == [
        ("/v1/ask", 200),
        ("/v1/search", 200),
        ("/v1/search", 403),
        ("/v1/tickets/classify", 200),
        ("/v1/documents/{document_id}", 403),
    ]
    ask = records[0]
    assert ask["key_id"] == key.id and ask["collection"] == "default"
    assert "<PERSON_1>" in ask["question"] and ask["chunk_ids"] and "guard" in ask
    assert "<EMAIL_ADDRESS_1>" in records[1]["question"]
    raw = audit.path.read_text()
    for value in [*personal_values, "Daniel Okafor", "4111 1111 1111 1111", "daniel.okafor@example.com"]:
        assert value not in raw
    assert audit.verify() == []


def _edited(line: str, **changes: Any) -> str:
    return json.dumps({**json.loads(line), **changes}, sort_keys=True) + "\n"


def _rewrite(path: Path, change: Any) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda lines: [lines[0], _edited(lines[1], status=201), *lines[2:]], "content changed"),
        (lambda lines: [lines[0], *lines[2:]], "removed or reordered"),
        (lambda lines: [lines[1], lines[0], *lines[2:]], "removed or reordered"),
        (lambda lines: lines[:-1], "ends at record"),
    ],
    ids=["changed", "removed", "reordered", "truncated"],
)
def test_audit_verify_detects_tampering(tmp_path: Path, change: Any, expected: str) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    for n in range(4):
        log.append({"key_id": "k", "route": "/v1/search", "status": 200, "n": n})
    assert log.verify() == []
    _rewrite(log.path, change)
    problems = log.verify()
    assert problems and any(expected in problem for problem in problems), problems


def test_audit_and_keys_verbs(tmp_path: Path) -> None:
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(tmp_path)}

    def enclave(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, env=env, timeout=120
        )

    created = enclave("keys", "create", "--collections", "hr,legal", "--role", "ingester", "--label", "ops")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    key_id = token.split("_")[1]
    listed = json.loads(enclave("keys", "list", "--json").stdout)
    assert listed[0]["id"] == key_id and listed[0]["collections"] == ["hr", "legal"] and token not in str(listed)
    assert enclave("keys", "revoke", key_id).returncode == 0
    assert json.loads(enclave("keys", "list", "--json").stdout)[0]["revoked_at"]
    assert enclave("keys", "revoke", "nope").returncode == 2

    log = AuditLog(tmp_path / "audit.jsonl")
    for n in range(3):
        log.append({"key_id": key_id, "method": "POST", "route": "/v1/ask", "status": 200, "question": f"q{n}"})
    assert enclave("audit", "verify").returncode == 0
    shown = enclave("audit", "show", "--since", "1h", "--json")
    assert [json.loads(line)["question"] for line in shown.stdout.splitlines()] == ["q0", "q1", "q2"]
    _rewrite(log.path, lambda lines: [lines[0], lines[2]])
    broken = enclave("audit", "verify")
    assert broken.returncode == 1 and "removed or reordered" in broken.stderr
