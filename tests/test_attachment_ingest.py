"""A message's attachments are documents of their own: cited as ``message › attachment``, redacted, kept in step."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.cli import app
from ingest.admission import ATTACHMENT_SEPARATOR

from .conftest import make_pipeline

SECRET_NAME = "Gwendolyn Abernathy-Quist"


def _message(attachments: dict[str, str]) -> bytes:
    message = EmailMessage()
    message["From"] = "facilities@example.org"
    message["To"] = "staff@example.org"
    message["Subject"] = "Parking rules"
    message.set_content("Please read the attached parking rules before Monday.")
    for name, text in attachments.items():
        message.add_attachment(text.encode(), maintype="text", subtype="plain", filename=name)
    return message.as_bytes()


def _all_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())


def test_attachments_are_ingested_cited_and_forgotten_when_dropped(
    tmp_path: Path, redactor: Any, embedder: Any
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    rules = f"Visitors park on level minus two. Badge requests go to {SECRET_NAME}, facilities manager."
    (docs / "parking.eml").write_bytes(_message({"rules.txt": rules, "map.txt": "Level minus two has 40 bays."}))
    data_dir = tmp_path / "data"
    pipeline = make_pipeline(data_dir, redactor, embedder)

    report = pipeline.ingest_paths([docs], "default")
    sources = {o.source: o for o in report.outcomes}
    rules_source = f"parking.eml{ATTACHMENT_SEPARATOR}rules.txt"
    map_source = f"parking.eml{ATTACHMENT_SEPARATOR}map.txt"
    assert set(sources) == {"parking.eml", rules_source, map_source}
    assert all(o.status == "new" and o.chunks > 0 for o in sources.values())
    assert report.to_dict()["kinds"] == {"email": 1, "text": 2}

    hits = pipeline.lexical.search("default", "where do visitors park", top_k=3)
    assert hits and hits[0].source == rules_source
    assert SECRET_NAME.encode() not in _all_bytes(data_dir)
    assert SECRET_NAME.split()[0].encode() not in _all_bytes(data_dir)

    # The same message again: nothing to do, attachments included.
    again = pipeline.ingest_paths([docs], "default")
    assert {o.status for o in again.outcomes} == {"skipped"}

    # The message now carries one attachment: the other one's chunks go.
    (docs / "parking.eml").write_bytes(_message({"map.txt": "Level minus two has 40 bays."}))
    changed = {o.source: o.status for o in pipeline.ingest_paths([docs], "default").outcomes}
    assert changed[rules_source] == "forgotten"
    assert changed["parking.eml"] == "changed"
    assert not pipeline.lexical.search("default", "visitors park badge requests", top_k=3, source=rules_source)
    assert rules_source not in {e.source for e in pipeline.ledger.entries(collection="default")}


def test_documents_command_counts_files_by_kind(tmp_path: Path, redactor: Any, embedder: Any, monkeypatch: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.txt").write_text("The canteen opens at noon.", "utf-8")
    (docs / "mail.eml").write_bytes(_message({"menu.txt": "Soup on Fridays."}))
    data_dir = tmp_path / "data"
    make_pipeline(data_dir, redactor, embedder).ingest_paths([docs], "default")
    monkeypatch.setenv("ENCLAVE_DATA_DIR", str(data_dir))
    result = CliRunner().invoke(app, ["documents"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "1 email, 2 text" in result.output


def _forwarding(outer_body: str, inner: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "assistant@example.org"
    message["To"] = "board@example.org"
    message["Subject"] = "Fwd: parking rules"
    message.set_content(outer_body)
    forwarded = email.message_from_bytes(inner, policy=email.policy.default)
    message.add_attachment(forwarded, filename="rules-mail.eml")
    return message.as_bytes()


def test_a_message_erased_or_unreadable_takes_its_attachments_along(
    tmp_path: Path, redactor: Any, embedder: Any
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    inner = _message({"rules.txt": "Visitors park on level minus two."})
    (docs / "fwd.eml").write_bytes(_forwarding("See the rules below.", inner))
    pipeline = make_pipeline(tmp_path / "data", redactor, embedder, max_file_bytes=100_000)
    nested = f"fwd.eml{ATTACHMENT_SEPARATOR}rules-mail.eml{ATTACHMENT_SEPARATOR}rules.txt"

    first = {o.source: o.status for o in pipeline.ingest_paths([docs], "default").outcomes}
    assert first[nested] == "new"

    # The outer message changes, the forwarded one does not: what the forwarded one carries stays.
    (docs / "fwd.eml").write_bytes(_forwarding("See the rules below, as agreed.", inner))
    second = {o.source: o.status for o in pipeline.ingest_paths([docs], "default").outcomes}
    assert second["fwd.eml"] == "changed"
    assert second[f"fwd.eml{ATTACHMENT_SEPARATOR}rules-mail.eml"] == "skipped"
    assert nested not in second
    assert nested in {e.source for e in pipeline.ledger.entries(collection="default")}

    # The message can no longer be read: its attachments no longer answer for it.
    (docs / "fwd.eml").write_bytes(_forwarding("x" * 200_000, inner))
    third = {o.source: o.status for o in pipeline.ingest_paths([docs], "default").outcomes}
    assert third["fwd.eml"] == "failed" and third[nested] == "forgotten"
    assert not pipeline.lexical.search("default", "visitors park", top_k=3)

    # Readable again, then erased by id: the attachments go with it.
    (docs / "fwd.eml").write_bytes(_forwarding("See the rules below.", inner))
    pipeline.ingest_paths([docs], "default")
    message_entry = next(e for e in pipeline.ledger.entries(collection="default") if e.source == "fwd.eml")
    pipeline.forget_document("default", message_entry.document_id)
    assert pipeline.ledger.entries(collection="default") == []
    assert not pipeline.lexical.search("default", "visitors park", top_k=3)
