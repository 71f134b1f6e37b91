"""/metrics: Prometheus exposition of request, queue, generation, document, chunk and redaction counts."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from rag.settings import load_settings

from .conftest import SAMPLE_DOCS, make_pipeline

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: Any, **kwargs: Any) -> tuple[str, Samples]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def route(samples: Samples, name: str, path: str, method: str, status: str) -> float:
    return value(samples, name, app_name="enclave", method=method, path=path, status_code=status)


def test_requests_are_counted_and_timed_per_route(client: Any) -> None:
    _, before = scrape(client)
    assert client.post("/v1/search", json={"query": "hotel cap per night"}).status_code == 200
    assert client.post("/v1/search", json={"query": ""}).status_code == 400
    _, after = scrape(client)
    for status in ("200", "400"):
        for name in ("enclave_http_requests_total", "enclave_http_request_duration_seconds_count"):
            assert (
                route(after, name, "/v1/search", "POST", status)
                == route(before, name, "/v1/search", "POST", status) + 1
            )
    took = route(after, "enclave_http_request_duration_seconds_sum", "/v1/search", "POST", "200") - route(
        before, "enclave_http_request_duration_seconds_sum", "/v1/search", "POST", "200"
    )
    assert took > 0
    # Latency buckets reach past the default 10 s: answers on CPU take seconds.
    assert (
        "enclave_http_request_duration_seconds_bucket",
        (("app_name", "enclave"), ("le", "60.0"), ("method", "POST"), ("path", "/v1/search"), ("status_code", "200")),
    ) in after


def test_paths_are_route_templates_not_raw_paths(client: Any) -> None:
    missing = "0123456789abcdef0123456789abcdef"
    assert client.delete(f"/v1/documents/{missing}?collection=default").status_code == 404
    text, samples = scrape(client)
    assert missing not in text
    assert route(samples, "enclave_http_requests_total", "/v1/documents/{document_id}", "DELETE", "404") >= 1


def test_documents_chunks_and_redactions_match_the_ledger_and_store(services: Any, client: Any) -> None:
    _, samples = scrape(client)
    entries = services.ledger.entries()
    statuses = Counter((e.collection, e.status) for e in entries)
    assert statuses[("default", "done")] >= 9
    for (collection, status), count in statuses.items():
        assert value(samples, "enclave_documents", collection=collection, status=status) == count
    # Other tests may leave a collection empty after deleting its only document: equal, not positive.
    for collection in services.store.collections():
        assert value(samples, "enclave_chunks", collection=collection) == services.store.count(collection)
    assert value(samples, "enclave_chunks", collection="default") > 0
    redactions: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        if entry.status == "done":
            for entity_type, count in entry.redactions.items():
                redactions[(entry.collection, entity_type)] += count
    assert redactions[("default", "PERSON")] > 0 and redactions[("default", "EMAIL_ADDRESS")] > 0
    for (collection, entity_type), count in redactions.items():
        assert value(samples, "enclave_redactions", collection=collection, entity_type=entity_type) == count
    assert value(samples, "enclave_store_up") == 1
    assert value(samples, "enclave_generation_queue_depth") == 0
    assert value(samples, "enclave_generation_queue_capacity") == services.settings.generation_queue_size


def test_generated_tokens_are_counted(client: Any) -> None:
    _, before = scrape(client)
    response = client.post("/v1/ask", json={"question": "How long is parental leave at full pay?"})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"]
    _, after = scrape(client)
    generated = value(after, "enclave_generated_tokens_total") - value(before, "enclave_generated_tokens_total")
    assert generated == body["timings"]["completion_tokens"] > 0
    assert value(after, "enclave_generations_total") == value(before, "enclave_generations_total") + 1
    assert value(after, "enclave_prompt_tokens_total") > value(before, "enclave_prompt_tokens_total")


def test_no_personal_data_and_no_file_names(client: Any, personal_values: list[str], manifest: dict[str, Any]) -> None:
    text, _ = scrape(client)
    lowered = text.lower()
    for personal in personal_values:
        assert personal.lower() not in lowered, personal
    names = {Path(document["file"]).name for document in manifest["documents"]}
    assert names == {path.name for path in SAMPLE_DOCS.iterdir()}
    for name in names:
        assert name.lower() not in lowered, name


def test_metrics_need_a_key_once_keys_exist_and_show_only_its_collections(
    tmp_path: Path, redactor: Any, embedder: Any, generator: Any
) -> None:
    from litestar.testing import TestClient

    from api.app import create_app
    from api.services import Services

    settings = load_settings(data_dir=tmp_path / "data")
    pipeline = make_pipeline(settings.data_dir, redactor, embedder)
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE_DOCS / "ticket-1044.txt", docs / "ticket.txt")
    pipeline.ingest_paths([docs], "hr")
    pipeline.ingest_paths([docs], "ops")
    services = Services.load(settings, redactor=redactor, embedder=embedder, generator=generator)
    _, secret = services.keys.create("reader", ["hr"], label="prometheus")
    with TestClient(app=create_app(services)) as client:
        assert client.get("/metrics").status_code == 401
        text, samples = scrape(client, headers={"Authorization": f"Bearer {secret}"})
    assert value(samples, "enclave_chunks", collection="hr") > 0
    assert value(samples, "enclave_documents", collection="hr", status="done") == 1
    assert 'collection="ops"' not in text
