"""``/v1/labelsets`` and classification with a label set over HTTP (issue #30): the trainer role, redacted
examples, confidence and abstention, problem details for bad input."""

from __future__ import annotations

from typing import Any

from api.audit import AuditLog
from api.keys import KeyStore

from .conftest import auth

PROBLEM = "application/problem+json"

EXAMPLES = [
    {"text": "The invoice INV-2207 shows the wrong VAT amount", "label": "invoice"},
    {"text": "Could you resend last month's invoice to finance?", "label": "invoice"},
    {"text": "Please correct the billing address on my invoice", "label": "invoice"},
    {"text": "The printer on floor 3 jams on every page", "label": "printer"},
    {"text": "Printing to the colour printer gives blank pages", "label": "printer"},
    {"text": "Toner low warning on the HR printer, call Mr Daniel Okafor on +1 (555) 017-3388", "label": "printer"},
]


def test_trainers_create_and_train_sets_readers_classify_with_them(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, keys, audit = secured
    _, reader = keys.create("reader", ["*"])
    _, trainer = keys.create("trainer", ["*"])
    body = {"name": "api-desk", "labels": ["invoice", "printer"], "descriptions": {"printer": "printers, toner"}}

    assert client.post("/v1/labelsets", json=body, headers=auth(reader)).status_code == 403
    created = client.post("/v1/labelsets", json=body, headers=auth(trainer))
    assert created.status_code == 201, created.text
    assert created.json()["model"] == "zero-shot"
    try:
        again = client.post("/v1/labelsets", json=body, headers=auth(trainer))
        assert again.status_code == 409 and again.headers["content-type"].startswith(PROBLEM)

        train = client.post("/v1/labelsets/api-desk/train", json={"examples": EXAMPLES}, headers=auth(trainer))
        assert train.status_code == 200, train.text
        assert train.json()["model"] == "trained" and train.json()["examples_per_label"] == {"invoice": 3, "printer": 3}
        listed = client.get("/v1/labelsets", headers=auth(reader)).json()
        assert "api-desk" in [item["name"] for item in listed]

        ticket = {"text": "the printer in room 12 prints streaks", "labelset": "api-desk"}
        result = client.post("/v1/tickets/classify", json=ticket, headers=auth(reader)).json()
        assert result["label"] == "printer" and 0.5 < result["confidence"] <= 1
        vague: dict[str, object] = {"text": "hello, I have a question", "labelset": "api-desk"}
        unsure = client.post("/v1/tickets/classify", json=vague, headers=auth(reader)).json()
        assert unsure["confidence"] < 0.9
        vague["min_confidence"] = 0.9
        abstained = client.post("/v1/tickets/classify", json=vague, headers=auth(reader)).json()
        assert abstained["label"] is None and abstained["labels"] == []
        batch = [ticket, {"text": "wrong amount on invoice 4411", "labelset": "api-desk"}]
        labels = [
            r["label"] for r in client.post("/v1/tickets/classify:batch", json=batch, headers=auth(reader)).json()
        ]
        assert labels == ["printer", "invoice"]
    finally:
        assert client.delete("/v1/labelsets/api-desk", headers=auth(trainer)).status_code == 200
    assert client.get("/v1/labelsets/api-desk", headers=auth(reader)).status_code == 404
    records = [record for record in audit.records() if record.get("labelset") == "api-desk"]
    assert records and all("Okafor" not in str(record) for record in records)


def test_label_set_errors_are_problem_details(secured: tuple[Any, KeyStore, AuditLog]) -> None:
    client, _, _ = secured
    one_label = client.post("/v1/labelsets", json={"name": "bad", "labels": ["only"]})
    assert one_label.status_code == 400 and "at least 2 labels" in one_label.json()["detail"]
    assert client.post("/v1/labelsets", json={"name": "../x", "labels": ["a", "b"]}).status_code == 400
    missing = client.post("/v1/labelsets/nowhere/train", json={"examples": EXAMPLES})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(PROBLEM)
    assert client.post("/v1/tickets/classify", json={"text": "x", "labelset": "nowhere"}).status_code == 404
    both = client.post("/v1/tickets/classify", json={"text": "x", "labelset": "s", "labels": ["a", "b"]})
    assert both.status_code == 400 and "either labels or a label set" in both.json()["detail"]
    created = client.post("/v1/labelsets", json={"name": "api-errors", "labels": ["invoice", "printer"]})
    assert created.status_code == 201
    try:
        unknown = client.post(
            "/v1/labelsets/api-errors/train", json={"examples": [{"text": "hello", "label": "other"}]}
        )
        assert unknown.status_code == 400 and "['other']" in unknown.json()["detail"]
        assert client.get("/v1/labelsets/api-errors").json()["model"] == "zero-shot"
    finally:
        client.delete("/v1/labelsets/api-errors")
