"""Issue 32: two keys, one collection, a drive with real modes: every route that returns text shows each key only
what its principals may read, with top-k still full; a permission change on disk is in effect after the next
ingest without any embedding."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ingest.permissions.filesystem import group_principal

from .conftest import auth, load_settings, make_pipeline

OWN_GROUP = group_principal(os.getgid())
# Of the HR file, words the questions do not contain (responses echo the question): none may reach the support key.
FORBIDDEN_WORDS = ("Quillmark", "compensation")
QUESTION = "How does the bonus ladder move after the salary review?"
QUERY = "salary review bonus ladder step"


def _write(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _drive(root: Path) -> Path:
    drive = root / "drive"
    _write(
        drive / "HR" / "compensation.md",
        "# Compensation\n\nThe Quillmark salary review sets the bonus ladder: analysts move up one bonus ladder step "
        "each year after the Quillmark review, and the salary review closes in March.\n",
        0o644,
    )
    (drive / "HR").chmod(0o750)  # only the owner and the folder's group may enter: HR's documents are theirs
    for n, topic in enumerate(("cafeteria", "parking", "travel", "laptops")):
        _write(
            drive / "general" / f"{topic}.md",
            f"# {topic.title()}\n\nThe {topic} policy: the salary review does not change the {topic} rules, which "
            f"every employee may read. Review number {n} of the {topic} policy is due in spring.\n",
            0o644,
        )
    return drive


class CountingEmbedder:
    """The session's embedder (tokens, dimension), counting the calls that embed."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, texts: Any) -> Any:
        self.calls += 1
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def drive_services(
    tmp_path_factory: pytest.TempPathFactory, redactor: Any, embedder: Any, generator: Any
) -> Iterator[dict[str, Any]]:
    from litestar.testing import TestClient

    from api.app import create_app
    from api.audit import AuditLog
    from api.keys import KeyStore
    from api.services import Services

    root = tmp_path_factory.mktemp("permissions")
    drive = _drive(root)
    data_dir = root / "data"
    services = Services.load(
        load_settings(data_dir=data_dir), redactor=redactor, embedder=embedder, generator=generator
    )
    report = services.pipeline.ingest_paths([drive], "default")
    assert report.count("new") == 5
    keys = KeyStore(root / "keys.json")
    audit = AuditLog(root / "audit.jsonl")
    _, hr = keys.create("reader", ["default"], "hr", principals=[OWN_GROUP])
    _, support = keys.create("reader", ["default"], "support", principals=["group:support"])
    _, admin = keys.create("admin", ["*"], "admin")
    with TestClient(app=create_app(replace(services, keys=keys, audit=audit))) as client:
        yield {
            "client": client,
            "services": services,
            "drive": drive,
            "audit": audit,
            "tokens": {"hr": hr, "support": support, "admin": admin},
        }
    services.close()


def _call(drive_services: dict[str, Any], who: str, method: str, url: str, **kwargs: Any) -> Any:
    response = drive_services["client"].request(method, url, headers=auth(drive_services["tokens"][who]), **kwargs)
    assert response.status_code < 400, response.text
    return response


def _hr_document_id(drive_services: dict[str, Any]) -> str:
    entries = drive_services["services"].ledger.entries(collection="default")
    return next(e.document_id for e in entries if e.source == "HR/compensation.md")


def _assert_nothing_forbidden(text: str, drive_services: dict[str, Any]) -> None:
    hr_id = _hr_document_id(drive_services)
    for word in (*FORBIDDEN_WORDS, hr_id):
        assert word not in text, f"{word!r} reached a key that may not read it"


def test_documents_record_their_readers_from_the_drive(drive_services: dict[str, Any]) -> None:
    entries = {e.source: e.readers for e in drive_services["services"].ledger.entries(collection="default")}
    assert entries["general/cafeteria.md"] == ("everyone",)
    assert OWN_GROUP in (entries["HR/compensation.md"] or ()) and "everyone" not in (
        entries["HR/compensation.md"] or ()
    )


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_search_never_returns_what_the_key_may_not_read_and_stays_full(
    drive_services: dict[str, Any], mode: str
) -> None:
    body = {"query": QUERY, "top_k": 3, "mode": mode}
    support = _call(drive_services, "support", "POST", "/v1/search", json=body)
    _assert_nothing_forbidden(support.text, drive_services)
    results = support.json()["results"]
    assert len(results) == 3 and all(r["source"].startswith("general/") for r in results)
    assert "reader:" not in support.text  # the store's own flags stay in the store
    hr = _call(drive_services, "hr", "POST", "/v1/search", json=body).json()["results"]
    assert hr[0]["source"] == "HR/compensation.md"


def test_ask_and_its_stream_answer_only_from_readable_documents(drive_services: dict[str, Any]) -> None:
    body = {"question": QUESTION, "top_k": 3}
    _assert_nothing_forbidden(_call(drive_services, "support", "POST", "/v1/ask", json=body).text, drive_services)
    streamed = _call(drive_services, "support", "POST", "/v1/ask?stream=true", json=body)
    _assert_nothing_forbidden(streamed.text, drive_services)
    assert "event: answer" in streamed.text
    hr = _call(drive_services, "hr", "POST", "/v1/ask", json=body).json()
    assert any(c["source"] == "HR/compensation.md" for c in hr["citations"])


def test_the_openai_compatible_endpoint_is_filtered_too(drive_services: dict[str, Any]) -> None:
    body = {"model": "enclave", "messages": [{"role": "user", "content": QUESTION}]}
    _assert_nothing_forbidden(
        _call(drive_services, "support", "POST", "/v1/chat/completions", json=body).text, drive_services
    )
    streamed = _call(drive_services, "support", "POST", "/v1/chat/completions", json={**body, "stream": True})
    _assert_nothing_forbidden(streamed.text, drive_services)
    assert streamed.text.rstrip().endswith("[DONE]")


def test_documents_and_collections_list_only_readable_documents(drive_services: dict[str, Any]) -> None:
    support = _call(drive_services, "support", "GET", "/v1/documents")
    _assert_nothing_forbidden(support.text, drive_services)
    assert len(support.json()["documents"]) == 4
    hr = _call(drive_services, "hr", "GET", "/v1/documents").json()["documents"]
    assert {d["source"] for d in hr} >= {"HR/compensation.md"} and len(hr) == 5
    counts = {c["name"]: c for c in _call(drive_services, "support", "GET", "/v1/collections").json()["collections"]}
    admin = {c["name"]: c for c in _call(drive_services, "admin", "GET", "/v1/collections").json()["collections"]}
    assert counts["default"]["documents"] == 4 and admin["default"]["documents"] == 5
    assert counts["default"]["chunks"] < admin["default"]["chunks"]


def test_a_key_cannot_delete_a_document_it_may_not_read(drive_services: dict[str, Any]) -> None:
    from api.keys import KeyStore

    keys: KeyStore = drive_services["client"].app.state.services.keys
    _, ingester = keys.create("ingester", ["default"], "support ingester", principals=["group:support"])
    response = drive_services["client"].delete(
        f"/v1/documents/{_hr_document_id(drive_services)}", headers=auth(ingester)
    )
    assert response.status_code == 404
    assert _hr_document_id(drive_services)  # still there


def test_the_audit_trail_records_what_each_request_could_read(drive_services: dict[str, Any]) -> None:
    _call(drive_services, "support", "POST", "/v1/search", json={"query": "parking rules", "top_k": 2})
    records = list(drive_services["audit"].records())
    searches = [r for r in records if r["route"] == "/v1/search"]
    assert searches[-1]["readers"] == ["everyone", "group:support"]
    admin_calls = [r for r in records if r["route"] == "/v1/collections"]
    assert any(r["readers"] == "all" for r in admin_calls)
    assert all("Quillmark" not in json.dumps(r) for r in records if r.get("readers") != "all")


def test_a_permission_change_on_disk_takes_effect_after_the_next_ingest_without_embedding(
    drive_services: dict[str, Any], redactor: Any, embedder: Any
) -> None:
    services, drive = drive_services["services"], drive_services["drive"]
    counting = CountingEmbedder(embedder)
    pipeline = make_pipeline(services.settings.data_dir, redactor, counting)
    body = {"query": QUERY, "top_k": 3}
    (drive / "HR").chmod(0o755)  # HR opens its folder to everyone
    try:
        report = pipeline.ingest_paths([drive], "default")
        assert report.count("permissions-changed") == 1 and report.count("skipped") == 4
        assert counting.calls == 0  # metadata only: nothing re-embedded
        found = _call(drive_services, "support", "POST", "/v1/search", json=body).json()["results"]
        assert found[0]["source"] == "HR/compensation.md"
    finally:
        (drive / "HR").chmod(0o750)  # and closed again, whatever happened above (the fixture is shared)
    assert pipeline.ingest_paths([drive], "default").count("permissions-changed") == 1
    _assert_nothing_forbidden(_call(drive_services, "support", "POST", "/v1/search", json=body).text, drive_services)
    assert counting.calls == 0


def test_the_three_ways_of_filtering_the_dense_side_agree(
    drive_services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dense side of a restricted search is an exact search over the readable chunks' vectors held in memory;
    the store searching those ids (a set too large to hold) or filtering on the chunks' reader flags (too many ids
    for one request) give the same chunks."""
    import rag.retriever
    from rag.access import Readers
    from rag.errors import CollectionNotFoundError
    from rag.readable_vectors import ReadableVectors
    from rag.retriever import SearchFilters

    retriever = drive_services["services"].retriever
    filters = SearchFilters(readers=Readers.holding(["group:support"]))

    def dense() -> list[str]:
        return [hit.chunk_id for hit in retriever.search(QUERY, "default", 3, filters, mode="dense")]

    in_memory = dense()
    with pytest.raises(CollectionNotFoundError):  # an unknown collection is an error, restricted or not
        retriever.search(QUERY, "no-such-collection", 3, filters, mode="dense")
    monkeypatch.setattr(ReadableVectors, "search", lambda *args: None)
    by_ids = dense()
    monkeypatch.setattr(rag.retriever, "MAX_READABLE_IDS", 0)
    by_flags = dense()
    assert in_memory == by_ids == by_flags and len(in_memory) == 3
    assert all(hit.startswith(tuple(_general_prefixes(drive_services))) for hit in in_memory)


def _general_prefixes(drive_services: dict[str, Any]) -> list[str]:
    entries = drive_services["services"].ledger.entries(collection="default")
    return [e.document_id[:16] for e in entries if e.source.startswith("general/")]


def test_uploads_carry_readers_and_a_replacement_keeps_them(drive_services: dict[str, Any]) -> None:
    from api.keys import KeyStore

    client = drive_services["client"]
    keys: KeyStore = client.app.state.services.keys
    _, hr_ingester = keys.create("ingester", ["default"], "hr ingester", principals=[OWN_GROUP])
    files = {"file": ("board-memo.txt", b"The Quillmark board memo sets the review calendar for March.", "text/plain")}
    upload = client.post(f"/v1/documents?principals={OWN_GROUP}", files=files, headers=auth(hr_ingester))
    assert upload.status_code == 201, upload.text
    again = client.post("/v1/documents?replace=true", files=files, headers=auth(hr_ingester))  # no principals
    assert again.status_code == 201, again.text
    entries = {e.source: e.readers for e in drive_services["services"].ledger.entries(collection="default")}
    assert entries["board-memo.txt"] == (OWN_GROUP,)  # kept, not widened to everyone
    listed = _call(drive_services, "support", "GET", "/v1/documents").text
    assert "board-memo.txt" not in listed
    bad = client.post("/v1/documents?principals=hr", files=files, headers=auth(hr_ingester))
    assert bad.status_code == 400 and "invalid principal" in bad.text
