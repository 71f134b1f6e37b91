"""Admin routes (audit trail, keys) and /v1/me, through Litestar's test client on the real services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.audit import AuditLog
from api.keys import KeyStore

PROBLEM = "application/problem+json"


@pytest.fixture
def secured(services: Any, tmp_path: Path) -> Iterator[tuple[Any, KeyStore, AuditLog]]:
    """The session's services with a keys file and an audit log of this test's own."""
    from litestar.testing import TestClient

    from api.app import create_app

    keys = KeyStore(tmp_path / "keys.json")
    audit = AuditLog(tmp_path / "audit.jsonl")
    with TestClient(app=create_app(replace(services, keys=keys, audit=audit))) as client:
        yield client, keys, audit


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_me_tells_the_page_who_is_calling(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, _ = secured
    open_mode = client.get("/v1/me").json()
    assert open_mode["key_id"] == "local" and open_mode["role"] == "admin" and open_mode["auth_required"] is False
    assert open_mode["default_collection"] == "default"

    key, token = keys.create("reader", ["hr", "default"], label="helpdesk")
    assert_problem(client.get("/v1/me"), 401)
    me = client.get("/v1/me", headers=auth(token)).json()
    assert me == {
        "key_id": key.id,
        "role": "reader",
        "collections": ["default", "hr"],
        "principals": [],
        "label": "helpdesk",
        "auth_required": True,
        "default_collection": "default",
    }


def test_admin_routes_need_an_admin_key(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, _ = secured
    assert client.get("/v1/admin/keys").status_code == 200  # no key yet: the loopback caller is admin
    _, reader = keys.create("reader", ["*"])
    _, ingester = keys.create("ingester", ["*"])
    _, admin = keys.create("admin", ["*"])
    for route in ("/v1/admin/audit", "/v1/admin/keys"):
        unauthenticated = assert_problem(client.get(route), 401)
        assert "API key" in unauthenticated["detail"]
        assert_problem(client.get(route, headers=auth("enc_nothing_here")), 401)
        for token in (reader, ingester):
            assert "may not admin" in assert_problem(client.get(route, headers=auth(token)), 403)["detail"]
        assert client.get(route, headers=auth(admin)).status_code == 200


def test_key_listing_never_shows_secrets_or_hashes(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, _ = secured
    admin_key, admin = keys.create("admin", ["*"], label="ops")
    reader_key, reader = keys.create("reader", ["hr", "legal"], label="helpdesk")
    keys.revoke(reader_key.id)
    response = client.get("/v1/admin/keys", headers=auth(admin))
    listed = {item["id"]: item for item in response.json()["keys"]}
    assert listed[admin_key.id] == {
        "id": admin_key.id,
        "role": "admin",
        "collections": ["*"],
        "principals": [],
        "label": "ops",
        "created_at": admin_key.created_at,
        "revoked_at": None,
        "active": True,
    }
    assert listed[reader_key.id]["active"] is False and listed[reader_key.id]["revoked_at"]
    assert listed[reader_key.id]["collections"] == ["hr", "legal"]
    stored = json.loads(keys.path.read_text())
    # A token is "<prefix><id>_<secret>", and the secret (URL-safe base64) may itself hold "_".
    tokens = [token.split("_", 2)[-1] for token in (admin, reader)]
    for secret in tokens + [r["salt"] for r in stored] + [r["digest"] for r in stored]:
        assert len(secret) >= 32 and secret not in response.text


def test_audit_trail_filters_newest_first(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, audit = secured
    reader_key, reader = keys.create("reader", ["default"])
    _, admin = keys.create("admin", ["*"])
    assert client.post("/v1/search", json={"query": "parental leave"}, headers=auth(reader)).status_code == 200
    assert client.get("/v1/documents?collection=hr", headers=auth(reader)).status_code == 403
    assert client.get("/v1/collections", headers=auth(admin)).status_code == 200
    assert client.get("/v1/collections", headers=auth(reader)).status_code == 200

    def records(**query: Any) -> dict[str, Any]:
        response = client.get("/v1/admin/audit", params=query, headers=auth(admin))
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    everything = records()
    assert [r["route"] for r in everything["records"]] == [
        "/v1/collections",
        "/v1/collections",
        "/v1/documents",
        "/v1/search",
    ]
    assert everything["matched"] == 4 and everything["records"][0]["seq"] > everything["records"][-1]["seq"]
    search = everything["records"][-1]
    assert search["key_id"] == reader_key.id and search["question"] == "parental leave" and search["chunk_ids"]

    by_reader = records(key_id=reader_key.id)
    assert by_reader["matched"] == 3 and {r["key_id"] for r in by_reader["records"]} == {reader_key.id}
    assert [r["route"] for r in records(route="/v1/search")["records"]] == ["/v1/search"]
    forbidden = records(status=403)["records"]
    assert len(forbidden) == 1 and forbidden[0]["route"] == "/v1/documents"
    assert records(collection="default")["matched"] == 1
    newest = records(limit=1)
    assert len(newest["records"]) == 1 and newest["matched"] >= 5  # the previous audit reads are records too
    assert newest["records"][0]["route"] == "/v1/admin/audit"
    assert records(since="1h")["matched"] >= 4
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert records(since=future) == {"records": [], "matched": 0}
    assert records(key_id="nobody")["matched"] == 0

    assert (
        "since must be"
        in assert_problem(client.get("/v1/admin/audit?since=yesterday", headers=auth(admin)), 400)["detail"]
    )
    assert_problem(client.get("/v1/admin/audit?limit=0", headers=auth(admin)), 400)
    assert_problem(client.get("/v1/admin/audit?limit=5000", headers=auth(admin)), 400)
    assert not audit.verify()  # reading the trail leaves its chain intact
